"""Reading and checking specs: files → the typed chart model, with no jsii (bad input fails fast)."""
