"""C07's reading of its trial records (chains; Boolean trees: families, random trees, compiled networks) and its
tables and figures (data for the report: numbers with formats, panels as data)."""

from __future__ import annotations

import numpy as np

from deepcheap.claims.presentation import FigureSpec, Panel, Series, Table

FAMILY_LABELS = {"xor": "XOR (parity)", "and": "AND", "or": "OR", "maj": "MAJ3, most balanced",
                 "maj-chain": "MAJ3, caterpillar", "maj5": "MAJ5, most balanced"}


def chain_records(records: list[dict]) -> list[dict]:
    return [r for r in records if "kind" not in r["params"]]


def of_kind(records: list[dict], kind: str) -> list[dict]:
    return [r for r in records if r["params"].get("kind") == kind]


def family_costs(records: list[dict]) -> dict[str, list[dict]]:
    """{family: rows (n, gates, depth, deep, flat (None beyond a truth table), predicted, non_integral)}."""
    found = {r["params"]["family"]: r["result"]["rows"] for r in of_kind(records, "family")}
    order = [*FAMILY_LABELS, *sorted(set(found) - set(FAMILY_LABELS))]
    return {name: found[name] for name in order if name in found}


def random_costs(records: list[dict]) -> list[dict]:
    return [tree for r in of_kind(records, "random") for tree in r["result"]["trees"]]


def network_rows(records: list[dict]) -> list[dict]:
    return [row for r in of_kind(records, "networks") for row in r["result"]["rows"]]


def at(rows: list[dict], n: int) -> dict | None:
    return next((row for row in rows if row["n"] == n), None)


def ratio(row: dict | None) -> float | None:
    return None if row is None or row["flat"] is None else row["flat"] / row["deep"]


def random_stats(trees: list[dict], threshold: float) -> dict[int, dict]:
    """Per leaf count: trees, the fraction with flat/deep >= threshold, min/median/max of flat/deep."""
    out = {}
    for leaves in sorted({t["n"] for t in trees}):
        ratios = np.array([t["flat"] / t["deep"] for t in trees if t["n"] == leaves])
        out[leaves] = {"trees": len(ratios), "above": int(np.sum(ratios >= threshold)),
                       "fraction": float(np.mean(ratios >= threshold)),
                       "min": float(ratios.min()), "median": float(np.median(ratios)), "max": float(ratios.max())}
    return out


def tree_tables(families: dict, stats: dict, networks: list[dict], threshold: float, predicted: dict) -> list[Table]:
    rows = [[FAMILY_LABELS.get(name, name), row["n"], row["gates"], row["depth"], row["deep"], row["flat"],
             row["predicted"], ratio(row) if row["flat"] is not None else row["predicted"] / row["deep"]]
            for name, family in families.items() for row in family]
    return [
        Table("Deep vs flat cost of tree hierarchies (bit-product neurons; flat from the Moebius transform of the "
              "2^n truth table, '-' beyond a table: the closed form only)",
              ["family", "n", "gates", "depth", "deep", "flat (truth table)", "flat (closed form)", "flat / deep"],
              rows, formats=["", "d", "d", "d", "d", "d", "d", ".3g"]),
        Table(f"Random trees (gates XOR2, AND2, OR2, MAJ3 and shapes drawn per node): flat/deep, fraction >= "
              f"{threshold:g}x", ["leaves n", "trees", f"fraction >= {threshold:g}x", "predicted fraction",
                                  "min", "median", "predicted median", "max"],
              [[n, s["trees"], s["fraction"], predicted.get(n, {}).get("fraction"), s["min"], s["median"],
                predicted.get(n, {}).get("median"), s["max"]] for n, s in stats.items()],
              formats=["d", "d", ".2f", ".2f", ".3g", ".3g", ".3g", ".3g"]),
        Table("Trees compiled both ways (compile_boolean per gate, composed; and of the composed table), on all "
              "2^n inputs", ["tree", "n", "deep neurons", "deep cost", "flat neurons", "flat cost",
                             "deep max error", "flat max error", "wrong after rounding"],
              [[row["name"], row["n"], row["deep_neurons"], row["deep"], row["flat_neurons"], row["flat"],
                row["deep_error"], row["flat_error"], row["deep_wrong"] + row["flat_wrong"]] for row in networks],
              formats=["", "d", "d", "d", "d", "d", ".2g", ".2g", "d"]),
    ]


def tree_figure(families: dict, trees: list[dict], threshold: float) -> FigureSpec:
    costs = Panel("Deep (dashed) and flat (solid) cost", "bits n", "bit-product neurons", yscale="log",
                  legend=False)  # the right panel's legend names the colours
    ratios = Panel("Cost of flattening", "bits n", "flat / deep", yscale="log",
                   hlines=[(threshold, f"{threshold:g}x"), (1.0, "no advantage")])
    for j, (name, rows) in enumerate(families.items()):
        tabled = [row for row in rows if row["flat"] is not None]
        ns = [row["n"] for row in tabled]
        label = FAMILY_LABELS.get(name, name)
        style = {"color": f"C{j % 10}", "marker": "o", "markersize": 4}
        if name == "xor":  # XOR and OR trees cost the same: XOR drawn wide and pale under OR
            style.update(linewidth=6, alpha=0.35, markersize=8)
        costs.series.append(Series(f"{label}: flat", ns, [row["flat"] for row in tabled], style=style))
        costs.series.append(Series(f"{label}: deep", ns, [row["deep"] for row in tabled],
                                   style={**style, "linestyle": "--", "marker": None}))
        ratios.series.append(Series(label, ns, [ratio(row) for row in tabled], style=style))
    if trees:
        xs = [t["n"] for t in trees]
        costs.series.append(Series("random trees: flat", xs, [t["flat"] for t in trees], kind="scatter",
                                   style={"color": "0.4", "marker": "x"}))
        costs.series.append(Series("random trees: deep", xs, [t["deep"] for t in trees], kind="scatter",
                                   style={"color": "0.6", "marker": "+"}))
        ratios.series.append(Series("random trees", xs, [t["flat"] / t["deep"] for t in trees], kind="scatter",
                                    style={"color": "0.4", "marker": "x"}))
    return FigureSpec("flattening_trees", "Tree hierarchies of Boolean gates: neurons of the deep network (one "
                      "bit-product network per gate) and of one hidden layer for the composed function (nonzero "
                      "multilinear coefficients of its truth table), per gate family (colours as on the right; XOR and "
                      "OR coincide), random trees as points (x flat, + deep; left); their ratio (right). AND trees "
                      "sit below 1: flattening them is free.",
                      [costs, ratios])


def chain_table(records: list[dict]) -> Table:
    return Table("Minimal sufficient statistics per chain",
                 ["trial", "depth n", "k_0", "k_n", "|T_0|", "|T_{n-1}|", "composition error",
                  "max |I(y_i;y_n) - I(y_i;T_i)|", "I(y_0; y_n) (nats)", "min merge loss (nats)"],
                 [[r["trial"], len(r["result"]["sizes"]) - 1, r["result"]["sizes"][0], r["result"]["sizes"][-1],
                   r["result"]["statistic_sizes"][0], r["result"]["statistic_sizes"][-1],
                   r["result"]["composition_error"], r["result"]["max_info_error"], r["result"]["info_nats"][0],
                   r["result"]["min_merge_loss"]] for r in records],
                 formats=["", "d", "d", "d", "d", "d", ".2g", ".2g", ".4g", ".2g"])


def chain_figure(records: list[dict], tolerance: float) -> FigureSpec:
    sizes = Panel("Minimal sufficient statistic sizes", "level i", "|T_i| / k_n", hlines=[(1.0, "k_n")])
    for j, r in enumerate(records):
        res = r["result"]
        values = [s / res["sizes"][-1] for s in res["statistic_sizes"]]
        sizes.series.append(Series(r["trial"], list(range(len(values))), values,
                                   style={"marker": "o", "color": f"C{j % 10}"}))
    sizes.legend = len(records) <= 12
    errors = Panel("Exactness", "chain", "error", yscale="log", hlines=[(tolerance, "tolerance")])
    xs = list(range(len(records)))
    errors.series.append(Series("composition vs enumeration", xs,
                                [max(r["result"]["composition_error"], 1e-18) for r in records], kind="scatter"))
    errors.series.append(Series("|I(y;y_n) - I(y;T(y_n))| (nats)", xs,
                                [max(r["result"]["max_info_error"], 1e-18) for r in records], kind="scatter"))
    return FigureSpec("sufficient_statistics", "Theorem 2 on random Markov chains: sizes of the minimal sufficient "
                      "statistics T_i of p(y_i | y_n) relative to k_n (left) and the errors of Corollary 2's "
                      "composition and of sufficiency (right; zeros drawn at 1e-18).", [sizes, errors])
