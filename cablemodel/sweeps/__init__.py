"""Many runs of one model.

* :func:`sweep` (:mod:`.run`): a grid or a list of points, each a lone
  :func:`cablemodel.simulate`, serial, in local processes or on Dask, with a resumable store
  (:mod:`.store`) and a progress bar; measures (:mod:`.measures`), points and the Dataset
  (:mod:`.grid`), backends (:mod:`.backends`).
* :func:`run_trials` (:mod:`.trials`): trials back to back in one simulation (one build).
"""

from .backends import SweepError
from .measures import Measure, parse_measure
from .run import sweep
from .store import StoreMismatch
from .trials import Trial, TrialSet, run_trials

__all__ = ["sweep", "parse_measure", "Measure", "SweepError", "StoreMismatch", "Trial", "TrialSet",
           "run_trials"]
