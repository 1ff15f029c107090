"""Signal types: how content is fingerprinted and how fingerprints are compared.

One module per signal type (``md5``, ``sha256``, ``pdq``); ``registry`` lists them with
those of installed plug-ins.
"""
