# Copyright (c) samix_mm contributors. All rights reserved.
"""Puts ``tests/helpers`` (model parts shared by test files in different
folders) on ``sys.path`` for every test."""
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), 'helpers'))
