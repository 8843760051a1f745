"""What is placed on a cell: channels and concentration dynamics (painted on regions), synapses
and clamps (placed at sites)."""

from .bbp import (
    BBP_CELSIUS,
    BBP_CHANNELS,
    BBP_Q10,
    BBP_REFERENCE_CELSIUS,
    HAY_SOMA,
    HAY_SOMA_CALCIUM,
    SK_E2,
    Ca_HVA,
    Ca_LVAst,
    CaDynamics_E2,
    Ih,
    Im,
    K_Pst,
    K_Tst,
    Nap_Et2,
    NaTa_t,
    NaTs2_t,
    SKv3_1,
)
from .channels import Channel, Gate, HHPotassium, HHSodium
from .concentrations import CalciumDynamics
from .electrical import GapJunction
from .ions import DEFAULT_IONS, Ions, ghk_reversal, nernst
from .receptors import (
    CLEFTS,
    RECEPTORS,
    Cleft,
    Ionotropic,
    Metabotropic,
    NMDAReceptor,
    ampa,
    d1,
    d2,
    gaba_a,
    gaba_b,
    glycine,
    metabotropic,
    mg_block,
    nmda,
    receptor,
)
from .release import Terminal, release_probability, tsodyks_markram
from .stimuli import (
    Noise,
    Ramp,
    Sampled,
    Sine,
    Step,
    Sum,
    Train,
    VoltageClamp,
    VoltageSteps,
    Waveform,
    WaveformClamp,
)
from .synapses import (
    AMPA,
    GABA_A,
    Connection,
    CurrentClamp,
    Receptor,
    Synapse,
    poisson_train,
    regular_train,
    spike_times,
)

__all__ = ["Channel", "Gate", "CalciumDynamics", "HHSodium", "HHPotassium", "Receptor", "AMPA", "GABA_A",
           "Synapse", "Connection", "GapJunction", "CurrentClamp", "spike_times", "regular_train",
           "poisson_train", "Ions", "DEFAULT_IONS", "nernst", "ghk_reversal", "Cleft", "CLEFTS",
           "Ionotropic", "NMDAReceptor", "Metabotropic", "mg_block", "ampa", "nmda", "gaba_a", "gaba_b",
           "glycine", "d1", "d2", "metabotropic", "RECEPTORS", "receptor", "Terminal",
           "release_probability", "tsodyks_markram", "Waveform", "Step", "Train", "Ramp", "Sine",
           "Noise", "Sampled", "Sum", "WaveformClamp", "VoltageClamp", "VoltageSteps"]
# the BBP channel library (cablemodel.mechanisms.bbp)
__all__ += ["NaTa_t", "NaTs2_t", "Nap_Et2", "K_Pst", "K_Tst", "SKv3_1", "SK_E2", "Im", "Ih", "Ca_HVA",
            "Ca_LVAst", "CaDynamics_E2", "BBP_CHANNELS", "BBP_Q10", "BBP_REFERENCE_CELSIUS",
            "BBP_CELSIUS", "HAY_SOMA", "HAY_SOMA_CALCIUM"]
