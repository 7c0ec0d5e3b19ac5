"""The cdk8s constructs (built on cdk8s-plus-28) and how each records its bindings to values."""
