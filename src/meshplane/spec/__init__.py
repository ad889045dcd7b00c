"""The domain model of a mesh: descriptors, loading with located errors, validation and codecs.

Pure: no I/O beyond reading the files it is given.
"""
