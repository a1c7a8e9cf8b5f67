"""The command line: ``python -m skebm`` (or ``skebm``).

``compare`` (the default job) cross-validates every loss and energy on a data
set, scikit-learn's or a CSV file, and prints a leaderboard; ``sample`` runs
the Metropolis-Hastings example of the tutorial slides.
"""

import argparse
import sys

from ..losses import LOSSES
from ._compare import ENERGIES, candidates, compare
from ._data import BUILTIN, infer_task, load, read_csv
from ._errors import CLIError
from ._sample import sample

__all__ = ["main", "compare", "sample", "candidates", "load", "read_csv",
           "infer_task", "CLIError", "BUILTIN"]


def _names(text):
    if text is None:
        return None
    names = [v.strip() for v in text.split(",") if v.strip()]
    if not names:
        raise CLIError(f"no names in {text!r}; leave the option out for all")
    return names


def _parser():
    parser = argparse.ArgumentParser(
        prog="skebm",
        description="Energy-based learning (LeCun et al., 2006) for "
                    "scikit-learn. Without a command, runs 'compare' on digits.",
    )
    commands = parser.add_subparsers(dest="command")
    comp = commands.add_parser(
        "compare", help="leaderboard of losses and energies on a data set")
    comp.add_argument("dataset", nargs="?", default="digits",
                      help=f"{', '.join(BUILTIN)}, or a CSV file "
                           "(default: digits)")
    comp.add_argument("--target", help="target column of a CSV file")
    comp.add_argument("--task", choices=["classification", "regression"],
                      help="inferred from the target when not given")
    comp.add_argument("--losses", help=f"comma-separated, from "
                                       f"{', '.join(LOSSES)} (default: all)")
    comp.add_argument(
        "--energies",
        help="comma-separated, from " + "; ".join(
            f"{task}: {', '.join(names)}" for task, names in ENERGIES.items())
        + " (default: all)")
    comp.add_argument("--cv", type=int, default=3, help="folds (default: 3)")
    comp.add_argument("--jobs", type=int, default=1,
                      help="configurations run in parallel (joblib; -1: all "
                           "cores)")
    comp.add_argument("--output",
                      help="write the table to this .csv or .json file")
    samp = commands.add_parser(
        "sample", help="the slides' Metropolis-Hastings example")
    samp.add_argument("--steps", default="50000")
    samp.add_argument("--chains", default="1")
    samp.add_argument("--step-size", default="0.5",
                      help="proposal standard deviation, or 'auto'")
    samp.add_argument("--burn-in", default="0.25",
                      help="iterations dropped: a count, or a fraction below 1")
    samp.add_argument("--seed", type=int, default=0)
    return parser


def _sample_options(args):
    """``sample``'s options as MHSampler takes them, or a CLIError naming
    the option."""
    def number(option, text):
        try:
            return float(text)
        except ValueError:
            raise CLIError(f"{option} must be a number, got {text!r}") from None

    counts = {}
    for option, text in [("--steps", args.steps), ("--chains", args.chains)]:
        value = number(option, text)
        if not (value >= 1 and value.is_integer()):
            raise CLIError(f"{option} must be a whole number of at least 1, "
                           f"got {text!r}")
        counts[option] = int(value)
    step = args.step_size
    if step != "auto" and not 0 < number("--step-size", step) < float("inf"):
        raise CLIError(f"--step-size must be a positive number or 'auto', got {step!r}")
    step = step if step == "auto" else float(step)
    # MHSampler reads an int as a count of iterations and a float as a share
    burn_in = number("--burn-in", args.burn_in)
    if not (0 <= burn_in < 1 or burn_in >= 1 and burn_in.is_integer()):
        raise CLIError("--burn-in must be a whole count of iterations or a "
                       f"fraction in [0, 1), got {args.burn_in!r}")
    burn_in = int(burn_in) if burn_in >= 1 else burn_in
    # counted as MHSampler counts it, whose error would name its parameters
    dropped = burn_in if burn_in >= 1 else round(burn_in * counts["--steps"])
    if dropped >= counts["--steps"]:
        raise CLIError(f"--burn-in {args.burn_in} drops all --steps "
                       f"{counts['--steps']} iterations")
    return counts["--steps"], counts["--chains"], step, burn_in


def main(argv=None):
    """Run the command line.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default: ``sys.argv[1:]``); without a command, or with
        a data set first, the command is ``compare``.

    Returns
    -------
    status : int
        0, or 2 after a one-line error on the standard error.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in ("compare", "sample", "-h", "--help"):
        argv = ["compare", *argv]
    args = _parser().parse_args(argv)
    try:
        if args.command == "sample":
            sample(*_sample_options(args), args.seed)
        else:
            if args.cv < 2:
                raise CLIError("--cv must be at least 2")
            if args.jobs == 0:
                raise CLIError("--jobs must be a count of configurations run at "
                               "once, or -1 for all cores; got 0")
            compare(args.dataset, args.target, args.task, _names(args.losses),
                    _names(args.energies), args.cv, args.jobs, args.output)
    except (CLIError, ValueError) as exc:
        print(f"skebm: error: {exc}", file=sys.stderr)
        return 2
    return 0
