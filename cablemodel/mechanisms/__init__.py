"""What is placed on a cell: channels (painted on regions) and synapses (placed at sites)."""

from .channels import Channel, Gate, HHPotassium, HHSodium
from .electrical import GapJunction
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

__all__ = ["Channel", "Gate", "HHSodium", "HHPotassium", "Receptor", "AMPA", "GABA_A",
           "Synapse", "Connection", "GapJunction", "CurrentClamp", "spike_times", "regular_train",
           "poisson_train"]
