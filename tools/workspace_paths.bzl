"""Paths the repository rules (local_helm, ehc_python) accept: absolute, or relative to the main workspace."""

def workspace_path(repository_ctx, path):
    """`path` as a repository_ctx path; a relative one is under the main workspace's root (which needs a BUILD file)."""
    if path.startswith("/"):
        return repository_ctx.path(path)
    return repository_ctx.path("%s/%s" % (repository_ctx.path(Label("@//:WORKSPACE")).dirname, path))
