"""Experiments built on the public API, one per phenomenon, each on any cell.

- :mod:`.placement`: where synapses go on any cell (the dendrite reaching farthest, its longest
  path, sites on and off that path).
- :mod:`.graded`: attenuation with distance.
- :mod:`.summation`: spatial and temporal summation at the spike site, an IPSP vetoing a spike.
- :mod:`.inhibition`: shunting (reversal at rest) vs hyperpolarising inhibition, on and off path;
  E/I cancellation (linear vs measured sum).
- :mod:`.excitability`: all-or-none spike (peak vs stimulus), absolute and relative refractory
  periods (threshold vs interval).
"""

from .excitability import AllOrNoneResult, RefractoryResult, all_or_none, refractory_periods
from .graded import (
    attenuation,
    path_sites,
    psp_at_sites,
    steady_state_attenuation,
    summarize_fit,
    theory_length_constant,
)
from .inhibition import (
    EIResult,
    ShuntingResult,
    ei_cancellation,
    shunting_inhibition,
    shunting_receptor,
)
from .placement import (
    DENDRITIC_REGIONS,
    InhibitionSites,
    dendrite_region,
    inhibition_sites,
    longest_path,
    path_start,
)
from .summation import (
    IPSPVetoResult,
    SpatialSummationResult,
    TemporalSummationResult,
    ipsp_veto,
    spatial_summation,
    temporal_summation,
    volley,
)

__all__ = ["psp_at_sites", "path_sites", "attenuation", "steady_state_attenuation",
           "theory_length_constant", "summarize_fit",
           "volley", "spatial_summation", "SpatialSummationResult", "temporal_summation",
           "TemporalSummationResult", "ipsp_veto", "IPSPVetoResult",
           "DENDRITIC_REGIONS", "dendrite_region", "longest_path", "path_start", "inhibition_sites",
           "InhibitionSites",
           "shunting_receptor", "shunting_inhibition", "ShuntingResult",
           "ei_cancellation", "EIResult",
           "all_or_none", "AllOrNoneResult", "refractory_periods", "RefractoryResult"]
