"""Federated computational governance: policies as code (Rego) and breaking-change rules.

Pure logic over descriptors: the engine evaluates Rego in-process with ``regopy`` (or asks a remote Open
Policy Agent); nothing here touches storage.
"""
