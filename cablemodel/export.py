"""Export a cablemodel cell to other simulators: :func:`to_neuron` writes a self-contained NEURON
script of the same model, :func:`run_neuron` runs it (see :mod:`cablemodel.io.neuron`)."""

from .io.neuron import neuron_available, run_neuron, to_neuron

__all__ = ["to_neuron", "run_neuron", "neuron_available"]
