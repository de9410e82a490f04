"""How much disk a plain ``pip install .`` takes: the venv, and its largest packages.

    .venv/bin/python bench/install_size.py [--extra locales]

Makes a fresh virtual environment in a temporary folder with the system's
``python3 -m venv`` (pip and setuptools included, as a user's would be),
installs this checkout into it without extras (or with ``--extra``), and
prints the venv's size as ``du`` counts it (disk blocks; ``--apparent-size``
in brackets), the empty venv's size measured in the same run, and the ten
largest installed packages. Issue 10's target: under 150 MB. The forbidden
packages (PyMuPDF, pdfimpose, numpy, onnxruntime) are named if present.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FORBIDDEN = ("fitz", "pymupdf", "pdfimpose", "numpy", "onnxruntime")


def du(path: Path, apparent: bool = False) -> int:
    """Size of ``path`` in kB, as ``du -s`` gives it."""
    flags = ["-sk", "--apparent-size"] if apparent else ["-sk"]
    return int(subprocess.run(["du", *flags, str(path)], capture_output=True, text=True, check=True).stdout.split()[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--extra", default="", help="install with this extra, e.g. locales")
    args = parser.parse_args()
    target = f"{REPO}[{args.extra}]" if args.extra else str(REPO)
    with tempfile.TemporaryDirectory() as folder:
        empty, venv = Path(folder) / "empty", Path(folder) / "venv"
        for path in (empty, venv):
            subprocess.run(["python3", "-m", "venv", str(path)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", target], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        site = next((venv / "lib").glob("python3*/site-packages"))
        sizes = sorted(((du(p), p.name) for p in site.iterdir() if not p.name.endswith(".dist-info")), reverse=True)
        total, baseline = du(venv) / 1024, du(empty) / 1024
        print(f"pip install {'.' if not args.extra else f'.[{args.extra}]'}: venv {total:.0f} MB "
              f"({du(venv, apparent=True) / 1024:.0f} MB apparent); empty venv {baseline:.0f} MB; "
              f"target < 150 MB: {'pass' if total < 150 else 'MISSED'}")
        for size, name in sizes[:10]:
            print(f"  {size / 1024:6.1f} MB  {name}")
        present = [name for _, name in sizes if name.lower().split(".")[0] in FORBIDDEN]
        print(f"forbidden packages: {', '.join(present) if present else 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
