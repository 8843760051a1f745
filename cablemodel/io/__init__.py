"""Input and output: SWC files (:mod:`cablemodel.io.swc`), NEURON scripts (:mod:`cablemodel.io.neuron`),
the same discrete cell in Arbor (:mod:`cablemodel.io.arbor`)."""
