# -*- coding: utf-8 -*-
#
# Copyright: Provision for Java contributors
# Apache License 2.0 (see LICENSE at the root of https://github.com/aegirj/provision-java)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """The options every module of aegirj.provision takes to find the command line and its home."""

    DOCUMENTATION = r'''
options:
  provision:
    description: The C(provision) executable (a path, or a name looked up on C(PATH)).
    type: path
    default: provision
  home:
    description: The Provision home (C(--home)); default C($PROVISION_HOME), else C(~/.provision).
    type: path
'''
