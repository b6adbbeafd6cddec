"""The README's two set-up commands (the first fenced bash block): `main` and `test`.

.ci/run executes `test` from here, so CI runs exactly what the README tells a newcomer to run.
"""
import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def commands() -> dict[str, str]:
    block = re.search(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), re.S).group(1)
    lines = [line for line in block.splitlines() if line.strip() and not line.startswith("#")]
    return {"main": lines[0], "test": lines[1]}


if __name__ == "__main__":
    print(commands()[sys.argv[1]])
