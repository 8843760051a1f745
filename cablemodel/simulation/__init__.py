"""Running simulations: the standalone build cache (:mod:`.build_cache`) and the memory guard
(:mod:`.memory`) used by :func:`cablemodel.simulate`.
"""
