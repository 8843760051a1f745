"""Running simulations: the engine (:mod:`.engine`), its Brian2 assembly (:mod:`.assembly`), the
results (:mod:`.results`), the Hines template (:mod:`.hines`), the standalone build cache
(:mod:`.build_cache`) and the memory guard (:mod:`.memory`) used by :func:`cablemodel.simulate`.
"""
