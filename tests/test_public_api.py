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


SPEC_NAMES = """get_generator Message MessageDict Messages ContentText ContentImageUrl Tool ApiTool
Model attr element wrapped Chat ChatPipeline Generator GenerateParams GeneratedMessage GeneratedText
chat complete Completion CompletionPipeline register_generator prompt Prompt Ctx data watchers model
error parsing tool integrations logging await_ interact ThenChatCallback MapChatCallback
ThenCompletionCallback MapCompletionCallback generator""".split()


def test_every_name_of_the_reference_api_is_exported() -> None:
    missing = [name for name in SPEC_NAMES if name not in rigging.__all__]
    assert missing == []
    assert callable(rigging.chat)
    assert callable(rigging.prompt)
    assert callable(rigging.interact)
    assert callable(rigging.make_prompt)


def test_native_error_classes_are_reexported() -> None:
    from rigging import _native, error

    for name in ("IdentifierError", "ScanError", "SpliceError", "FanOutError", "RiggingError"):
        assert getattr(error, name) is getattr(_native, name)
