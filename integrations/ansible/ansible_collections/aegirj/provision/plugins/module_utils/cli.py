# -*- coding: utf-8 -*-
#
# Copyright: Provision for Java contributors
# Apache License 2.0 (see LICENSE at the root of https://github.com/aegirj/provision-java)
"""Runs the Provision for Java command line (`provision ... --json`) for the modules of aegirj.provision."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

REDACTED = '****'
# Mirrors the command line's own rule (net.aegirj.provision.cli.Values#isSecret).
ALWAYS_SECRET = frozenset(['cron_key', 'master_db', 'db_passwd'])


def looks_secret(prop):
    return prop in ALWAYS_SECRET or 'passw' in prop or 'secret' in prop


def as_text(value, prop):
    """A property value in the command line's text form (what follows --prop=)."""
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, (list, tuple)):
        items = [as_text(v, prop) for v in value]
        for item in items:
            if ',' in item:
                raise ValueError("property '%s': the list item '%s' contains a comma" % (prop, item))
        return ','.join(items)
    if isinstance(value, dict):
        pairs = []
        for k, v in value.items():
            k, v = as_text(k, prop), as_text(v, prop)
            if ',' in k or ',' in v or '=' in k:
                raise ValueError("property '%s': map keys and values must not contain ',' (keys: '=')" % prop)
            pairs.append('%s=%s' % (k, v))
        return ','.join(pairs)
    return str(value)


def properties_input(properties):
    """The stdin of `provision save --properties-from=-`: UTF-8 name=value lines.

    properties is a list of (name, text) pairs. A value with a line break or NUL is refused (it
    would read as two lines); the message never echoes the value, which may be a secret.
    """
    lines = []
    for prop, text in properties:
        if '\n' in text or '\r' in text or '\0' in text:
            raise ValueError("property '%s': line breaks and NUL are not allowed in a value" % prop)
        lines.append('%s=%s\n' % (prop, text))
    return ''.join(lines).encode('utf-8')


def report_changed(report):
    """Whether a task report (the CLI's JSON `report`) changed something, or in a plan would.

    A step with status `changed`, a changed path (`changed_paths`, or a step's `changes`, which a
    plan lists for the steps that would change something) or a reload counts; `unchanged`,
    `skipped` and `planned` steps with no paths do not.
    """
    if not isinstance(report, dict):
        return False
    if report.get('changed_paths') or report.get('reloads'):
        return True
    for step in report.get('steps') or []:
        if step.get('status') == 'changed' or step.get('changes'):
            return True
    return False


class Cli(object):
    """Runs `provision [--home HOME] ... --json` and returns its one JSON object.

    The module's `provision` parameter is the executable (a path, or a name looked up on PATH) and
    `home` the Provision home (`--home`, optional).
    """

    def __init__(self, module):
        self.module = module
        executable = module.params['provision']
        if os.sep not in executable:
            executable = module.get_bin_path(executable, required=True)
        self.base = [executable]
        if module.params.get('home'):
            self.base += ['--home', module.params['home']]

    def run(self, *args, **kwargs):
        """Runs provision with args; returns (exit status, the JSON object).

        properties (a list of (name, text) pairs) go to the standard input of a save
        (`--properties-from=-`), never on the command line, where other local users could read them;
        stdin (bytes) goes to the standard input as it is (`save --from=-`).
        """
        properties = kwargs.get('properties')
        cmd = self.base + list(args) + ['--json']
        data = kwargs.get('stdin')
        if properties is not None:
            cmd.append('--properties-from=-')
            data = properties_input(properties)
        # No shell, and no ~ or $VAR expansion: the arguments reach provision exactly as given.
        # binary_data: the bytes go to stdin as they are (no newline added to them).
        rc, out, err = self.module.run_command(cmd, expand_user_and_vars=False, data=data, binary_data=True)
        try:
            result = json.loads(out.strip().splitlines()[-1]) if out.strip() else None
        except ValueError:
            result = None
        if not isinstance(result, dict):
            self.module.fail_json(msg='provision %s: no JSON output (exit status %d): %s'
                                  % (args[0], rc, (err or out).strip()), rc=rc)
        return rc, result

    def ok(self, *args, **kwargs):
        """Runs provision and returns its JSON object; fails the module unless it succeeded."""
        rc, result = self.run(*args, **kwargs)
        if rc != 0 or not result.get('ok'):
            self.fail(args, rc, result)
        return result

    def fail(self, args, rc, result, **extra):
        """Fails the module with the CLI's error message, its type, the exit status and any report."""
        error = result.get('error') or {}
        fields = dict(rc=rc, error_type=error.get('type'), command='provision ' + ' '.join(args[:1]))
        if 'report' in result:
            fields['report'] = result['report']
        elif 'report' in error:
            fields['report'] = error['report']
        fields.update(extra)
        self.module.fail_json(msg=error.get('message') or 'provision %s failed (exit status %d)' % (args[0], rc),
                              **fields)
