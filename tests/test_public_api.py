import rigging


def test_all_is_sorted_unique_and_resolves() -> None:
    names = list(rigging.__all__)
    assert names == sorted(names)
    assert len(names) == len(set(names))
    for name in names:
        assert hasattr(rigging, name), name


def test_errors_share_one_root() -> None:
    from rigging import error

    for cls in (error.IdentifierError, error.SpliceError, error.FanOutError):
        assert issubclass(cls, error.RiggingError)
    assert issubclass(error.IdentifierError, ValueError)
    assert issubclass(error.FanOutError, RuntimeError)
