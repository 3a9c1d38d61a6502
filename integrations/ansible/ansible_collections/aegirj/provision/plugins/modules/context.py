#!/usr/bin/python
# -*- coding: utf-8 -*-
#
# Copyright: Provision for Java contributors
# Apache License 2.0 (see LICENSE at the root of https://github.com/aegirj/provision-java)
#
# aegirj.provision.context: an Ansible module that manages a Provision for Java context (a server,
# a platform or a site) through the `provision` command line and its `--json` output.
# Standard library, Ansible's module_utils and this collection's module_utils only.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: context
short_description: Manage a Provision for Java context (server, platform or site)
description:
  - Creates, updates and deletes a named context of Provision for Java (Aegir's hosting backend
    in Java) by running its C(provision) command line with C(--json).
  - Reads the context with C(provision show --json) first, saves only the properties that differ
    (C(provision save)), then runs C(provision verify) when the context is new or changed, and
    C(provision install) for a site that is not installed yet when I(install=true).
  - With I(state=absent), sites and platforms are deleted with C(provision delete) (what the
    context made, then the context); servers with C(provision save --delete).
  - Check mode saves nothing and runs no task; it reports whether anything would change, the
    would-be diff and the output of C(provision plan) for the task that would run.
  - Property values reach C(provision save) on its standard input (C(--properties-from=-)), never
    on its command line, so secrets do not show in the process list.
options:
  name:
    description: The context name, with or without the leading C(@) (C(server_master), C(@example.com)).
    type: str
    required: true
  type:
    description:
      - The context type. Required to create a context; when given for an existing one, it must match.
    type: str
    choices: [server, platform, site]
  state:
    description: Whether the context exists.
    type: str
    choices: [present, absent]
    default: present
  properties:
    description:
      - Properties to set, by Aegir's names (C(root), C(platform), C(aliases), C(db_server) ...).
        Only the properties given are compared and changed; the others keep their stored values.
      - Lists become comma-separated values, booleans C(true)/C(false); C(null) (C(~)) resets a
        property to its default. Values must not contain line breaks or NUL.
      - Values of secret properties (C(db_passwd), C(master_db), C(cron_key), names containing
        C(passw) or C(secret), and whatever C(provision show) flags as secret) are never returned
        or logged.
    type: dict
    default: {}
  verify:
    description: Run C(provision verify) after a save that created or changed the context.
    type: bool
    default: true
  install:
    description:
      - Sites only. Run C(provision install) when the site is not installed yet (its C(installed)
        property is false); an installed site is never installed again. Install does what verify
        does, so verify is not run as well.
    type: bool
    default: false
extends_documentation_fragment:
  - aegirj.provision.cli
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - Saves nothing and runs no task. Reports whether the context would change, the properties that
        would, the tasks that would run and, for an existing context, C(provision plan)'s report for
        the first of them (I(plan)).
  diff_mode:
    support: full
    details:
      - The given properties before and after as C(key = value) lines, secrets as C(****); for
        I(state=absent), every stored property before.
  platform:
    platforms: posix
requirements:
  - The C(provision) command line of Provision for Java (C(bin/provision) of a checkout or of the
    C(provision-<version>.tar.gz) distribution) and Java 17 on the host that runs the module.
notes:
  - Every property value, secrets included, is passed to C(provision save) on its standard input
    as C(name=value) lines (C(--properties-from=-)), never on its command line.
  - The module writes nothing to the system log (its arguments may hold secrets).
seealso:
  - module: aegirj.provision.task
author:
  - Provision for Java (@aegirj)
'''

EXAMPLES = r'''
- name: A web server
  aegirj.provision.context:
    name: server_web
    type: server
    properties:
      remote_host: web1.example.com
      http_service_type: nginx

- name: A platform
  aegirj.provision.context:
    name: platform_d10
    type: platform
    properties:
      root: /var/aegir/platforms/d10
      web_server: "@server_web"

- name: A site, installed
  aegirj.provision.context:
    name: example.com
    type: site
    install: true
    properties:
      platform: "@platform_d10"
      aliases: [www.example.com]

- name: The site is gone
  aegirj.provision.context:
    name: example.com
    state: absent
'''

RETURN = r'''
name:
  description: The context's canonical name.
  type: str
  returned: always
  sample: "@example.com"
context_type:
  description: The context's type (null when it does not exist and none was given).
  type: str
  returned: always
created:
  description: Whether the context was (or in check mode would be) created.
  type: bool
  returned: always
deleted:
  description: Whether the context was (or in check mode would be) deleted.
  type: bool
  returned: always
changed_properties:
  description: The names of the given properties whose stored value differed.
  type: list
  elements: str
  returned: always
properties:
  description: The given properties as stored after the run, secrets as C(****).
  type: dict
  returned: when state is present
version:
  description: The context's version after the run (null when it does not exist).
  type: int
  returned: always
tasks:
  description: The tasks that ran (or in check mode would run), in order (verify, install, delete).
  type: list
  elements: str
  returned: always
report:
  description: The JSON report of the last task that ran (C(provision <task> --json)'s C(report)).
  type: dict
  returned: when a task ran
plan:
  description: In check mode, C(provision plan)'s JSON report for the task that would run on the stored context.
  type: dict
  returned: in check mode, when the context exists and a task would run
'''

import json
import re

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.aegirj.provision.plugins.module_utils.cli import (
    REDACTED, Cli, as_text, looks_secret, properties_input)

NAME_RE = re.compile(r'^@?[A-Za-z0-9][A-Za-z0-9._-]*$')
PROPERTY_RE = re.compile(r'^[a-z][a-z0-9_]*$')
# Names save reads as its own options, or that the module sets itself.
RESERVED_PROPERTIES = frozenset(['delete', 'help', 'context_type'])


def same_value(wanted, current):
    """Whether a wanted text value equals the current (text) value, context references normalised."""
    if wanted == current:
        return True
    if current is not None and current.startswith('@') and NAME_RE.match(wanted):
        return '@' + wanted.lstrip('@').lower() == current
    return False


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type='str', required=True),
            type=dict(type='str', choices=['server', 'platform', 'site']),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            properties=dict(type='dict', default={}),
            verify=dict(type='bool', default=True),
            install=dict(type='bool', default=False),
            provision=dict(type='path', default='provision'),
            home=dict(type='path'),
        ),
        supports_check_mode=True,
        # Secrets may be among the free-form properties: nothing of this run goes to the system
        # log (the invocation line would hold them); what is returned is masked below.
        no_log=True,
    )
    p = module.params
    wanted_type = p['type']

    # Secrets given as properties are masked in everything the module returns or logs.
    for prop, value in p['properties'].items():
        if looks_secret(prop) and value not in (None, ''):
            module.no_log_values.add(str(value))

    if not NAME_RE.match(p['name']):
        module.fail_json(msg="name '%s' is not a context name (letters, digits, '.', '-' and '_')" % p['name'])
    name = '@' + p['name'].lstrip('@').lower()

    wanted = {}
    for prop, value in p['properties'].items():
        if not PROPERTY_RE.match(prop):
            module.fail_json(msg="property '%s' is not a property name (lower-case letters, digits and '_')" % prop)
        if prop in RESERVED_PROPERTIES:
            module.fail_json(msg="property '%s' cannot be set here%s"
                             % (prop, '; give the type option' if prop == 'context_type' else ''))
        try:
            wanted[prop] = as_text(value, prop)
            properties_input([(prop, wanted[prop])])
        except ValueError as e:
            module.fail_json(msg=str(e))
    if p['install'] and wanted_type not in (None, 'site'):
        module.fail_json(msg='install applies to sites only')

    cli = Cli(module)
    rc, shown = cli.run('show', name, '--show-secrets')
    if rc != 0:
        if (shown.get('error') or {}).get('type') != 'context_not_found':
            cli.fail(('show', name), rc, shown)
        current = None
    else:
        current = shown['context']
    secret = set(prop for prop in wanted if looks_secret(prop))
    current_values = {}
    if current is not None:
        for prop, info in current['properties'].items():
            value = info.get('value')
            try:
                text = None if value is None else as_text(value, prop)
            except ValueError:
                text = json.dumps(value, sort_keys=True)
            current_values[prop] = (text, info.get('source'))
            if info.get('secret') or looks_secret(prop):
                secret.add(prop)
                if text not in (None, ''):
                    module.no_log_values.add(text)
        if wanted_type is not None and current['context_type'] != wanted_type:
            module.fail_json(msg='%s is a %s, not a %s' % (name, current['context_type'], wanted_type))
    context_type = current['context_type'] if current is not None else wanted_type

    def shown_value(prop, text):
        return REDACTED if prop in secret and text not in (None, '') else text

    result = dict(changed=False, name=name, context_type=context_type, created=False, deleted=False,
                  changed_properties=[], tasks=[],
                  version=current['version'] if current is not None else None)

    if p['state'] == 'absent':
        if current is None:
            module.exit_json(**result)
        result.update(changed=True, deleted=True)
        task = ['delete', name] if context_type in ('site', 'platform') else ['save', name, '--delete']
        if context_type in ('site', 'platform'):
            result['tasks'] = ['delete']
        if module._diff:
            result['diff'] = dict(
                before=''.join('%s = %s\n' % (k, shown_value(k, v[0]))
                               for k, v in sorted(current_values.items()) if v[1] == 'set'),
                after='')
        if module.check_mode:
            if context_type in ('site', 'platform'):
                result['plan'] = cli.ok('plan', name, 'delete')['report']
            module.exit_json(**result)
        done = cli.ok(*task)
        if 'report' in done:
            result['report'] = done['report']
        result['version'] = None
        module.exit_json(**result)

    # state: present
    if current is None and wanted_type is None:
        module.fail_json(msg='%s does not exist; give its type (server, platform or site) to create it' % name)
    changed_props = []
    for prop, text in sorted(wanted.items()):
        now, source = current_values.get(prop, (None, None))
        if text == 'null':
            differs = source == 'set'
        else:
            differs = source != 'set' or not same_value(text, now)
        if differs:
            changed_props.append(prop)
    created = current is None
    installed = current_values.get('installed', ('false', None))[0] == 'true'
    want_install = p['install'] and context_type == 'site' and not installed

    tasks = []
    if want_install:
        tasks.append('install')
    elif p['verify'] and (created or changed_props):
        tasks.append('verify')
    result.update(created=created, changed_properties=changed_props, tasks=tasks,
                  changed=bool(created or changed_props or tasks))
    if module._diff:
        before = '' if created else ''.join(
            '%s = %s\n' % (k, shown_value(k, current_values.get(k, (None, None))[0])) for k in sorted(wanted))
        after = ''.join('%s = %s\n' % (k, shown_value(k, v)) for k, v in sorted(wanted.items()))
        if created:
            after = 'context_type = %s\n' % context_type + after
        result['diff'] = dict(before=before, after=after)

    if module.check_mode:
        result['properties'] = dict((k, shown_value(k, v)) for k, v in wanted.items())
        if tasks and not created:
            result['plan'] = cli.ok('plan', name, tasks[0])['report']
        module.exit_json(**result)

    if created or changed_props:
        properties = [('context_type', context_type)] if created else []
        properties += [(k, wanted[k]) for k in (sorted(wanted) if created else changed_props)]
        saved = cli.ok('save', name, properties=properties)['context']
        result['version'] = saved['version']
        if not saved.get('changed'):
            # The stored values were the same once the command line had canonicalised them.
            result['changed_properties'] = changed_props = []
            if p['verify'] and not want_install:
                tasks = result['tasks'] = []
        stored = saved.get('properties', {})
        result['properties'] = dict((k, shown_value(k, None if stored.get(k) is None else as_text(stored.get(k), k)))
                                    for k in wanted)
    else:
        result['properties'] = dict((k, shown_value(k, current_values.get(k, (None, None))[0])) for k in wanted)

    for task in tasks:
        rc, ran = cli.run(task, name)
        if rc != 0 or not ran.get('ok'):
            # The task rolled back what it did; put the context back as well, so that the next run
            # saves and retries instead of finding nothing to change.
            reverted = None
            if created:
                reverted = cli.run('save', name, '--delete')[0] == 0
            elif changed_props:
                back = [(k, current_values[k][0] if current_values.get(k, (None, None))[1] == 'set' else 'null')
                        for k in changed_props]
                try:
                    reverted = cli.run('save', name, properties=back)[0] == 0
                except ValueError:
                    reverted = False
            cli.fail((task, name), rc, ran, tasks=tasks, reverted=reverted)
        result['report'] = ran['report']
    result['changed'] = bool(created or changed_props or tasks)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
