"""The README's results of a study with several seeds, written from its summary.json (run from the repository
root):  python docs/study/seeds.py STUDY_DIR [README.md]

Replaces what stands between the README's markers <!-- seeds:begin --> and <!-- seeds:end --> with the
configurations' means over the seeds, the factorial effects and the conclusions, all from STUDY_DIR, and
copies its seeds.png and effects.png into docs/study/."""
import json
import shutil
import sys
from pathlib import Path

from mathdl.base.numbers import effect, mean_ci, p_text
from mathdl.report.factorial_section import conclusions
from mathdl.study.protocol import QUICK

BEGIN, END = "<!-- seeds:begin -->", "<!-- seeds:end -->"


def markdown(study: Path) -> str:
    s = json.loads((study / "summary.json").read_text())
    state = json.loads((study / "study.json").read_text())
    seeds, analyses = s["seeds"], s["factorial"]
    k, family = len(seeds["seeds"]), s["mcnemar_family"]
    rows = {r["number"]: r for r in s["configurations"]}
    options = s["options"]
    profile = (f"the quick profile ({QUICK['train_size']:,} training images, {QUICK['epochs']} epochs, "
               f"{QUICK['test_size']:,} test images): short training on a subset, not the full study"
               if options["quick"] else "the full study")
    lines = [BEGIN,
             f"From `{state.get('command') or 'mathdl study'}`, {profile} ({8 * k} networks, seeds "
             f"{', '.join(map(str, seeds['seeds']))}; {s['wall_seconds']:.0f} s on "
             f"{state['environment'].get('cpus', '?')} cores, written by `docs/study/seeds.py`). Each configuration's "
             f"test rates over the seeds, mean [95% t-interval], and the standard deviation of its accuracy:", "",
             "| # | hidden | cost | bp | epochs | η | accuracy % | sd | sensitivity % | specificity % |",
             "|--:|:--|:--|:--|--:|--:|:--|--:|:--|:--|"]
    for c in seeds["configurations"]:
        r = rows[c["number"]]
        hidden = r["layers"].split("-", 1)[1].rsplit("-", 1)[0].replace("-", ", ")
        lines.append(f"| {c['number']} | {hidden} | {c['cost'].upper()} | {c['bp']} | {r['epochs']} | {r['eta']:g} | "
                     f"{mean_ci(c['accuracy'])} | {100 * c['accuracy']['sd']:.2f} | {mean_ci(c['sensitivity'])} | "
                     f"{mean_ci(c['specificity'])} |")
    accuracy = analyses["accuracy"]
    lines += ["", f"The 2×2×2 factorial analysis of the {accuracy['n']} runs (OLS with every interaction, "
              f"{accuracy['df_resid']:.0f} residual degrees of freedom): each effect in percentage points with its "
              "95% interval and p-value; a main effect is the difference of the means at the factor's two levels, "
              "A × B the difference of A's effect between B's levels:", "",
              "| effect | " + " | ".join(analyses) + " |", "|:--|" + ":--|" * len(analyses)]
    for i, e in enumerate(accuracy["effects"]):
        lines.append(f"| {e['contrast'] or e['label']} | "
                     + " | ".join(f"{effect(e)}, {p_text(e['p'])}" for e in (analyses[r]["effects"][i] for r in analyses))
                     + " |")
    raw = sum(t["p_mid"] < 0.05 for t in family)
    held = sum(t["p_mid_holm"] < 0.05 for t in family)
    lines += ["", "In words, at the 5% level (every main effect; an interaction where it is significant):", ""]
    lines += [f"- {line}" for line in conclusions(analyses)]
    lines += ["", f"McNemar's test of the 12 pairs that differ in one choice, in each seed: {raw} of the {len(family)} "
              f"mid-p values are below 0.05, {held} after Holm's correction for the {len(family)} tests.", "",
              "![accuracy over the seeds](docs/study/seeds.png)", "", "![the factorial effects](docs/study/effects.png)",
              END]
    return "\n".join(lines)


def main() -> None:
    study = Path(sys.argv[1])
    readme = Path(sys.argv[2] if len(sys.argv) > 2 else "README.md")
    text = readme.read_text()
    if BEGIN not in text or END not in text:
        sys.exit(f"{readme} has no {BEGIN} … {END} block")
    before, rest = text.split(BEGIN, 1)
    after = rest.split(END, 1)[1]
    readme.write_text(before + markdown(study) + after)
    for name in ("seeds.png", "effects.png"):
        shutil.copy(study / name, Path("docs/study") / name)


if __name__ == "__main__":
    main()
