"""Experiments built on the public API, one per phenomenon, each on any cell.

- :mod:`.placement`: where synapses go on any cell (the dendrite reaching farthest, its longest
  path, sites on and off that path).
- :mod:`.graded`: attenuation with distance (one synaptic event per site, steady state).
- :mod:`.attenuation`: EPSP peaks at the synapse and the hillock along a path, steady-state and
  transient length constants against cable theory (DC and AC at the EPSP's frequency).
- :mod:`.summation`: spatial and temporal summation at the spike site, an IPSP vetoing a spike.
- :mod:`.inhibition`: shunting (reversal at rest) vs hyperpolarising inhibition, on and off path;
  E/I cancellation (linear vs measured sum).
- :mod:`.excitability`: all-or-none spike (peak vs stimulus), absolute and relative refractory
  periods (threshold vs interval).
- :mod:`.propagation`: the action potential keeps its amplitude while a graded potential decays;
  one-way propagation and collision; conduction velocity with and without myelin.
- :mod:`.synapses`: chemical vs electrical synapse (delay, sign, direction), clearance blockade
  (reuptake or enzyme blocked: the conductance tail against ``1/min(k_total, beta)``), dopamine
  on D1 vs D2 receptors (opposite signs, ~100 ms time course).
- :mod:`.ions`: reversal potential vs ion concentration, voltage clamp against Nernst.
"""

from .attenuation import (
    AttenuationResult,
    ac_length_constant,
    attenuation_profile,
    distances_on_path,
    half_power_frequency,
    membrane_time_constant,
    site_distances,
)
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
from .ions import ReversalResult, nernst_slope, reversal_vs_concentration
from .placement import (
    DENDRITIC_REGIONS,
    InhibitionSites,
    dendrite_region,
    inhibition_sites,
    longest_path,
    path_start,
)
from .propagation import (
    CollisionResult,
    ConductionResult,
    PropagationResult,
    collision,
    conduction,
    passive_copy,
    propagation,
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
from .synapses import (
    ClearanceResult,
    DopamineResult,
    SynapseComparisonResult,
    chemical_vs_electrical,
    clearance_blockade,
    d1_vs_d2,
)

__all__ = ["psp_at_sites", "path_sites", "attenuation", "steady_state_attenuation",
           "theory_length_constant", "summarize_fit",
           "volley", "spatial_summation", "SpatialSummationResult", "temporal_summation",
           "TemporalSummationResult", "ipsp_veto", "IPSPVetoResult",
           "DENDRITIC_REGIONS", "dendrite_region", "longest_path", "path_start", "inhibition_sites",
           "InhibitionSites",
           "shunting_receptor", "shunting_inhibition", "ShuntingResult",
           "ei_cancellation", "EIResult",
           "all_or_none", "AllOrNoneResult", "refractory_periods", "RefractoryResult",
           "attenuation_profile", "AttenuationResult", "ac_length_constant", "half_power_frequency",
           "membrane_time_constant", "distances_on_path", "site_distances",
           "propagation", "PropagationResult", "passive_copy", "collision", "CollisionResult",
           "conduction", "ConductionResult",
           "chemical_vs_electrical", "SynapseComparisonResult", "clearance_blockade",
           "ClearanceResult", "d1_vs_d2", "DopamineResult", "reversal_vs_concentration",
           "ReversalResult", "nernst_slope"]
