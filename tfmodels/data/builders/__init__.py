"""TFDS builders over real data files that ship inside ordinary packages."""
