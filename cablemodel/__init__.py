"""cablemodel: multi-compartment dendritic cable models on Brian2.

Quick start::

    from brian2 import ms, nS
    from cablemodel import ball_and_stick, standard_cell, Synapse, AMPA, spike_times, simulate
    cell = standard_cell(ball_and_stick())
    syn = Synapse(AMPA, "basal@200", 1 * nS, spike_times([5] * ms))
    result = simulate(cell, [syn], duration=40 * ms)
    print(result.peak("basal@200"), result.peak("hillock"))
"""

from ._lazy import lazy_exports

_EXPORTS = {
    ".analysis.conduction": ("arrival_times", "conduction_velocity"),
    ".analysis.impedance": ("ImpedanceResult", "impedance"),
    ".cell": ("DEFAULT_DENSITIES", "Cell", "standard_cell"),
    ".fibre": ("myelinated_cell", "unmyelinated_cell"),
    ".io.swc": ("LoadReport", "SWCError", "read_swc", "write_swc"),
    ".mechanisms": (
        "AMPA", "BBP_CELSIUS", "BBP_CHANNELS", "BBP_Q10", "BBP_REFERENCE_CELSIUS", "CLEFTS",
        "DEFAULT_IONS", "GABA_A", "HAY_SOMA", "HAY_SOMA_CALCIUM", "RECEPTORS", "SK_E2", "Ca_HVA",
        "Ca_LVAst", "CaDynamics_E2", "CalciumDynamics", "Channel", "Cleft", "Connection",
        "CurrentClamp", "GapJunction", "Gate", "HHPotassium", "HHSodium", "Ih", "Im", "Ionotropic",
        "Ions", "K_Pst", "K_Tst", "Metabotropic", "Nap_Et2", "NaTa_t", "NaTs2_t", "NMDAReceptor",
        "Noise", "Ramp", "Receptor", "Sampled", "Sine", "SKv3_1", "Step", "Synapse", "Terminal",
        "Train", "VoltageClamp", "VoltageSteps", "Waveform", "WaveformClamp", "ampa", "d1", "d2",
        "gaba_a", "gaba_b", "ghk_reversal", "glycine", "metabotropic", "mg_block", "nernst", "nmda",
        "poisson_train", "receptor", "regular_train", "release_probability", "spike_times",
        "tsodyks_markram",
    ),
    ".membrane": ("Membrane", "Spines"),
    ".morphology": (
        "Morphology", "MorphologyError", "Section", "TreePath", "add_hillock", "ball_and_stick",
        "discretize", "path", "pyramidal", "y_neuron",
    ),
    ".morphology.myelin": ("axon_fibre", "lamellae", "myelin_membrane", "myelinate"),
    ".places": (
        "LocationError", "Region", "at", "at_distance", "branch_points", "compartment", "nearest",
        "on_section", "parse_site", "random_sites", "region", "relabel", "restrict", "subtree",
        "swc_sample", "terminals", "within",
    ),
    ".presets": ("mammalian_cell",),
    ".protocols": ("IVCurve", "iv_curve"),
    ".simulation.engine": ("SimulationError", "simulate", "simulate_circuit"),
    ".simulation.results": ("Result",),
    ".sweeps": ("sweep",),
}

__version__ = "0.1.0"

__all__ = [
    "Cell", "standard_cell", "mammalian_cell", "DEFAULT_DENSITIES", "simulate", "simulate_circuit",
    "SimulationError",
    "Result", "Connection", "GapJunction", "impedance", "ImpedanceResult",
    "at", "compartment", "on_section", "parse_site", "region", "within", "swc_sample", "nearest",
    "random_sites", "terminals", "branch_points", "restrict", "subtree", "at_distance", "relabel",
    "Region", "LocationError",
    "Channel", "Gate", "CalciumDynamics", "HHSodium", "HHPotassium", "Receptor", "AMPA", "GABA_A", "Synapse",
    "CurrentClamp", "spike_times", "regular_train", "poisson_train",
    "Morphology", "MorphologyError", "Section", "ball_and_stick", "y_neuron", "pyramidal",
    "write_swc", "read_swc", "LoadReport", "SWCError", "discretize", "add_hillock", "path", "TreePath",
    "Ions", "DEFAULT_IONS", "nernst", "ghk_reversal", "Cleft", "CLEFTS", "Ionotropic", "NMDAReceptor",
    "Metabotropic", "mg_block", "ampa", "nmda", "gaba_a", "gaba_b", "glycine", "d1", "d2",
    "metabotropic", "RECEPTORS", "receptor", "Terminal", "release_probability", "tsodyks_markram",
    "Waveform", "Step", "Train", "Ramp", "Sine", "Noise", "Sampled", "WaveformClamp", "VoltageClamp",
    "VoltageSteps", "iv_curve", "IVCurve",
    "Membrane", "Spines", "myelinate", "myelin_membrane", "lamellae", "axon_fibre", "myelinated_cell",
    "unmyelinated_cell", "conduction_velocity", "arrival_times", "sweep",
]
# the BBP channel library (cablemodel.mechanisms.bbp)
__all__ += ["NaTa_t", "NaTs2_t", "Nap_Et2", "K_Pst", "K_Tst", "SKv3_1", "SK_E2", "Im", "Ih", "Ca_HVA",
            "Ca_LVAst", "CaDynamics_E2", "BBP_CHANNELS", "BBP_Q10", "BBP_REFERENCE_CELSIUS",
            "BBP_CELSIUS", "HAY_SOMA", "HAY_SOMA_CALCIUM"]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
