"""Course labs: self-checks and sliders for the notebooks in ``notebooks/labs``.

- :func:`check` / :class:`Lab`: compare a student's answer with the value the model computed
  (tolerance, units, a hint when wrong); strict in the instructor notebooks.
- :func:`slider`: ipywidgets sliders for exploration, inert when run headless.
- :mod:`.build`: ``python -m cablemodel.labs.build`` generates the student and instructor
  notebooks from one source per lab.
"""

from .checks import STRICT_ENV, CheckResult, Lab, LabCheckError, check
from .widgets import HEADLESS_ENV, interactive_frontend, slider

__all__ = ["check", "CheckResult", "Lab", "LabCheckError", "STRICT_ENV", "slider",
           "interactive_frontend", "HEADLESS_ENV"]
