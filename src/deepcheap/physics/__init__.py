"""Physics with exact Hamiltonians: Ising lattices, samplers, exact results, Gaussian classes."""
