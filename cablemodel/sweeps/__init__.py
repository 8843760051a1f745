"""Many runs of one model: trials back to back in one simulation (:mod:`.trials`)."""

from .trials import Trial, TrialSet, run_trials

__all__ = ["Trial", "TrialSet", "run_trials"]
