#!/usr/bin/python
# -*- coding: utf-8 -*-
#
# Copyright: Provision for Java contributors
# Apache License 2.0 (see LICENSE at the root of https://github.com/aegirj/provision-java)
#
# aegirj.provision.contexts: many Provision for Java contexts in a few command-line runs
# (`provision save --from=-`, then one batch verify and one batch install), for playbooks that
# manage hundreds of sites. Standard library, Ansible's module_utils and this collection's only.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: contexts
short_description: Manage many Provision for Java contexts in one go
description:
  - Saves many contexts (servers, platforms, sites) with one C(provision save --from=-) (JSON
    lines on its standard input), then verifies the ones that were created or changed with one
    C(provision verify @a @b ...) and installs the sites that are not installed yet with one
    C(provision install @a @b ...), both run as batches (web servers reloaded once a group).
  - A playbook of N sites costs three starts of the command line, not one or more a site as
    with a loop over M(aegirj.provision.context).
  - It keeps contexts present; M(aegirj.provision.context) with I(state=absent) removes one.
options:
  contexts:
    description:
      - The contexts, in the order they are saved (servers before the platforms that name them,
        platforms before their sites).
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The context name, with or without the leading C(@).
        type: str
        required: true
      type:
        description: The context type; required to create a context.
        type: str
        choices: [server, platform, site]
      properties:
        description:
          - Properties to set, as for M(aegirj.provision.context) (lists, booleans, C(null)
            resets); the others keep their stored values.
        type: dict
        default: {}
      install:
        description: Sites only. Install the site when it is not installed yet.
        type: bool
        default: false
  verify:
    description: Verify the contexts that were created or changed (a site to be installed is not also verified).
    type: bool
    default: true
extends_documentation_fragment:
  - aegirj.provision.cli
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: none
    details:
      - Use M(aegirj.provision.context) to see what would change context by context.
  diff_mode:
    support: none
  platform:
    platforms: posix
requirements:
  - The C(provision) command line of Provision for Java and Java 17 on the host that runs the module.
notes:
  - Property values, secrets included, go to C(provision save) on its standard input, never on its
    command line; the module writes nothing to the system log.
  - A context that is refused (a bad value, a platform that does not exist) does not stop the
    others from being saved; the module then fails, naming each refused context, and runs no task.
seealso:
  - module: aegirj.provision.context
  - module: aegirj.provision.task
author:
  - Provision for Java (@aegirj)
'''

EXAMPLES = r'''
- name: Two sites, the first installed
  aegirj.provision.contexts:
    contexts:
      - name: a.example.com
        type: site
        install: true
        properties: {platform: "@platform_d10", aliases: [www.a.example.com]}
      - name: b.example.com
        type: site
        properties: {platform: "@platform_d10"}

- name: A hundred sites, from a list built in Jinja
  aegirj.provision.contexts:
    contexts: "{{ sites }}"
  vars:
    sites: >-
      {% set out = [] %}{% for i in range(100) %}{% set _ = out.append({'name': 'site%d.example.com' % i,
      'type': 'site', 'properties': {'platform': '@platform_d10'}}) %}{% endfor %}{{ out }}
'''

RETURN = r'''
saved:
  description: The canonical names of the contexts that were created or changed.
  type: list
  elements: str
  returned: always
verified:
  description: The contexts verified.
  type: list
  elements: str
  returned: always
installed:
  description: The sites installed.
  type: list
  elements: str
  returned: always
results:
  description: The command line's result for each context (C(provision save --from --json)'s C(contexts)), secrets as C(****).
  type: list
  elements: dict
  returned: always
'''

import json
import re

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.aegirj.provision.plugins.module_utils.cli import Cli, as_text, looks_secret

NAME_RE = re.compile(r'^@?[A-Za-z0-9][A-Za-z0-9._-]*$')
PROPERTY_RE = re.compile(r'^[a-z][a-z0-9_]*$')


def json_value(value, prop):
    """A property value as a JSON line carries it: null, a list of strings, or its text."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        items = [as_text(v, prop) for v in value]
        for item in items:
            if ',' in item:
                raise ValueError("property '%s': a list item contains a comma" % prop)
        return items
    return as_text(value, prop)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            contexts=dict(type='list', elements='dict', required=True, options=dict(
                name=dict(type='str', required=True),
                type=dict(type='str', choices=['server', 'platform', 'site']),
                properties=dict(type='dict', default={}),
                install=dict(type='bool', default=False),
            )),
            verify=dict(type='bool', default=True),
            provision=dict(type='path', default='provision'),
            home=dict(type='path'),
        ),
        supports_check_mode=False,
        no_log=True,
    )
    lines = []
    wants_install = set()
    seen = set()
    for c in module.params['contexts']:
        if not NAME_RE.match(c['name']):
            module.fail_json(msg="name '%s' is not a context name (letters, digits, '.', '-' and '_')" % c['name'])
        name = '@' + c['name'].lstrip('@').lower()
        if name in seen:
            module.fail_json(msg='%s is given twice; give each context once' % name)
        seen.add(name)
        props = {}
        for prop, value in c['properties'].items():
            if not PROPERTY_RE.match(prop) or prop == 'context_type':
                module.fail_json(msg="%s: '%s' is not a property this module sets" % (name, prop))
            if looks_secret(prop) and value not in (None, ''):
                module.no_log_values.add(str(value))
            try:
                props[prop] = json_value(value, prop)
            except ValueError as e:
                module.fail_json(msg='%s: %s' % (name, e))
        if c['type']:
            props['context_type'] = c['type']
        if c['install']:
            if c['type'] not in (None, 'site'):
                module.fail_json(msg='%s: install applies to sites only' % name)
            wants_install.add(name)
        lines.append(json.dumps(dict(name=name, properties=props), sort_keys=True))

    cli = Cli(module)
    result = dict(changed=False, saved=[], verified=[], installed=[], results=[])
    rc, saved = cli.run('save', '--from=-', stdin=('\n'.join(lines) + '\n').encode('utf-8'))
    results = saved.get('contexts') or []
    for r in results:
        for prop, value in (r.get('properties') or {}).items():
            if looks_secret(prop):
                r['properties'][prop] = '****'
    result['results'] = results
    changed = [r['name'] for r in results if r.get('ok') and r.get('changed')]
    result['saved'] = changed
    result['changed'] = bool(changed)
    if rc != 0 or not saved.get('ok'):
        # The command line's message names the context.
        refused = [(r.get('error') or {}).get('message') or r.get('name') for r in results if not r.get('ok')]
        if refused:
            module.fail_json(msg='not saved: ' + '; '.join(refused), rc=rc, **result)
        cli.fail(('save',), rc, saved, **result)

    installs = [r['name'] for r in results
                if r.get('name') in wants_install and not (r.get('properties') or {}).get('installed')]
    verifies = [n for n in changed if n not in installs] if module.params['verify'] else []
    for task, names, key in (('install', installs, 'installed'), ('verify', verifies, 'verified')):
        if not names:
            continue
        rc, ran = cli.run(task, *names)
        result['changed'] = True
        result[key] = [rep.get('context') for rep in (ran.get('reports') or []) if rep.get('status') == 'succeeded']
        if rc != 0 or not ran.get('ok'):
            cli.fail((task,), rc, ran, **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
