"""Pure computations for credit control: statutory fees, damages and interest.

Nothing here imports odoo or touches the database, so the rules can be checked with plain Python.
"""
