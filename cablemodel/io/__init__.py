"""Input and output: SWC files (:mod:`cablemodel.io.swc`)."""
