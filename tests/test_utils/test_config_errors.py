# Copyright (c) samix_mm contributors. All rights reserved.
"""A misspelt config key or type is answered in one line with the closest
valid name."""
import pytest
from mmengine.config import Config
from mmengine.registry import Registry

from samix_mm.registry import MODELS
from samix_mm.utils import register_all_modules
from samix_mm.utils.config_errors import (config_errors_in_one_line,
                                          explain_config_error,
                                          init_arguments)

TINY = 'tests/data/samix_tiny_synthetic.py'
TOYS = Registry('toy')


@TOYS.register_module()
class Base:

    def __init__(self, depth=1, width=2):
        self.depth, self.width = depth, width


@TOYS.register_module()
class Child(Base):

    def __init__(self, colour='red', **kwargs):
        super().__init__(**kwargs)
        if colour == 'bad':
            paint(colour=colour)  # a valid key, refused inside the class


def paint(shade):
    return shade


def error_of(build, cfg):
    with pytest.raises(Exception) as info:
        build(cfg)
    return info.value


def samix_model(**options):
    register_all_modules()
    cfg = Config.fromfile(TINY)
    cfg.merge_from_dict({f'model.{k}': v for k, v in options.items()})
    return cfg.model


def test_misspelt_key_of_a_samix_class():
    error = error_of(MODELS.build, samix_model(**{'mixer.lam_concatt': True}))
    assert explain_config_error(error) == (
        "PixelMixer (samix_mm.models.mixers.pixel_mixer) has no argument "
        "'lam_concatt'; did you mean 'lam_concat'?")


def test_misspelt_type_names_the_registry_and_closest_type():
    error = error_of(MODELS.build, samix_model(**{'mixer.type': 'PixelMixr'}))
    assert explain_config_error(error) == (
        "no type 'PixelMixr' in the samix_mm::model registry; did you mean "
        "'PixelMixer'?")
    error = error_of(MODELS.build, samix_model(**{'mixer.type': 'Qzxv'}))
    assert 'custom_imports' in explain_config_error(error)


def test_arguments_passed_on_to_the_base_class_count():
    assert init_arguments(Child) == ['colour', 'depth', 'width']
    error = error_of(TOYS.build, dict(type='Child', widht=3))
    assert explain_config_error(error) == (
        "Child (test_config_errors) has no argument 'widht'; did you mean "
        "'width'?")
    error = error_of(TOYS.build, dict(type='Child', xyzzy=3))
    assert explain_config_error(error).endswith(
        "'xyzzy'; valid: colour, depth, width")


def test_other_errors_are_not_explained():
    # a TypeError from a call inside the class, about a valid key
    assert explain_config_error(
        error_of(TOYS.build, dict(type='Child', colour='bad'))) is None
    assert explain_config_error(error_of(dict.fromkeys, 1)) is None
    with pytest.raises(TypeError, match='paint'):
        with config_errors_in_one_line():
            TOYS.build(dict(type='Child', colour='bad'))


def test_one_line_exit():
    with pytest.raises(SystemExit) as info:
        with config_errors_in_one_line():
            TOYS.build(dict(type='Base', dpth=3))
    assert info.value.code == (
        "error: Base (test_config_errors) has no argument 'dpth'; did you "
        "mean 'depth'?")
