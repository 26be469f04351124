"""``python -m contracts``: list, show, check and validate contracts from a shell.

Examples::

    python -m contracts list api/
    python -m contracts show api/orders/order
    curl -s localhost:8000/api/v1/orders/ord_... | python -m contracts validate api/orders/order -
    python -m contracts check

``validate`` exits 1 and prints every violation with its JSON path; ``check`` exits 1 on the first
broken contract or on a schema without an example.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import contracts


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m contracts", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ls = sub.add_parser("list", help="print contract names")
    ls.add_argument("prefix", nargs="?", default="", help="only names starting with this, e.g. events/")
    for cmd, text in (("show", "print a schema"), ("example", "print a contract's example")):
        sub.add_parser(cmd, help=text).add_argument("name")
    val = sub.add_parser("validate", help="validate a JSON document against a contract")
    val.add_argument("name")
    val.add_argument("file", help="path of a JSON file, or - for stdin")
    sub.add_parser("check", help="every schema compiles and resolves, every schema has a valid example")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "list":
            print("\n".join(contracts.names(args.prefix)))
        elif args.command == "show":
            print(json.dumps(contracts.schema(args.name), indent=2))
        elif args.command == "example":
            print(json.dumps(contracts.example(args.name), indent=2))
        elif args.command == "validate":
            text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
            contracts.validate(args.name, json.loads(text))
            print(f"valid: {args.name}")
        else:
            missing = sorted(set(contracts.names()) - set(contracts.example_names()))
            for name in contracts.names():
                contracts.check(name)
            if missing:
                print(f"schemas without an example: {', '.join(missing)}", file=sys.stderr)
                return 1
            print(f"{len(contracts.names())} contracts OK")
    except contracts.ContractError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
