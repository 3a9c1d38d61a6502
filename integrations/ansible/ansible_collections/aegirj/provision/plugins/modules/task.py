#!/usr/bin/python
# -*- coding: utf-8 -*-
#
# Copyright: Provision for Java contributors
# Apache License 2.0 (see LICENSE at the root of https://github.com/aegirj/provision-java)
#
# aegirj.provision.task: an Ansible module that runs a Provision for Java task (verify, install,
# backup, ...) on a context through `provision <task> @name --json`, its check mode through
# `provision plan @name <task> --json`, and takes `changed` from the task's report.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: task
short_description: Run a Provision for Java task (verify, install, backup, ...) on a context
description:
  - Runs one task of Provision for Java (Aegir's hosting backend in Java) on a context (a server, a
    platform or a site) with C(provision <task> @name --json), and reports C(changed) from the task's
    report, so that a C(verify) that finds everything in place reports no change.
  - A task that fails is rolled back by the command line; the module then fails with its message
    and returns the report (which step failed, and what was rolled back).
  - Check mode runs C(provision plan @name <task> --json) instead, which changes nothing, and
    reports the steps the task would run and the paths they would change.
  - To create, change or remove the context itself, use M(aegirj.provision.context).
options:
  name:
    description: The context, with or without the leading C(@) (C(server_master), C(@example.com)).
    type: str
    required: true
  task:
    description:
      - The task. Which tasks apply depends on the context's type (a server takes C(verify) only);
        the command line refuses the others (I(error_type=invalid_context)).
      - C(delete) on a site or platform removes what the context made, then the context itself.
    type: str
    required: true
    choices:
      - verify
      - install
      - delete
      - enable
      - disable
      - backup
      - backup-delete
      - restore
      - deploy
      - migrate
      - clone
      - login-reset
      - import-site
  arguments:
    description:
      - What the task takes after the context's name, in order, for example the archive of
        C(backup), C(restore) and C(deploy) (C(backup @site FILE)), the backups of C(backup-delete)
        (C(FILE[,FILE...])), the platform of C(migrate), the new name (and platform) of C(clone).
      - These are names and paths, never secrets, as they are on the command line.
    type: list
    elements: str
    default: []
  new_db_server:
    description: C(migrate) and C(clone) only. The db server of the result (C(--new_db_server)).
    type: str
  new_uri:
    description: C(migrate) only. The site's new name (C(--new_uri)).
    type: str
  backup:
    description: C(delete) of a site only. Back the site up first (C(--backup)).
    type: bool
    default: false
  override_slave_authority:
    description:
      - C(verify) of a site only. Also push the site's C(files/) and C(private/) to a remote web
        server, overwriting its copies (C(--override_slave_authority)).
    type: bool
    default: false
extends_documentation_fragment:
  - aegirj.provision.cli
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - Runs C(provision plan @name <task>), which changes nothing, instead of the task.
        I(changed) is true when the plan lists a path that would change or a service that would be
        reloaded. The plan does not see I(arguments) and the other options of the task.
  diff_mode:
    support: none
  platform:
    platforms: posix
requirements:
  - The C(provision) command line of Provision for Java (C(bin/provision) of a checkout or of the
    C(provision-<version>.tar.gz) distribution) and Java 17 on the host that runs the module.
seealso:
  - module: aegirj.provision.context
author:
  - Provision for Java (@aegirj)
'''

EXAMPLES = r'''
- name: Verify the web server (changed only when verify changed something)
  aegirj.provision.task:
    name: server_web
    task: verify

- name: Back a site up into a named archive
  aegirj.provision.task:
    name: example.com
    task: backup
    arguments: [/var/aegir/backups/example.com-before-upgrade.tar.gz]
    home: /var/aegir

- name: Move a site to a new platform and db server
  aegirj.provision.task:
    name: example.com
    task: migrate
    arguments: ['@platform_d11']
    new_db_server: '@server_db2'

- name: Disable a site, then delete it with a backup
  aegirj.provision.task:
    name: old.example.com
    task: "{{ item.task }}"
    backup: "{{ item.backup }}"
  loop:
    - {task: disable, backup: false}
    - {task: delete, backup: true}
'''

RETURN = r'''
name:
  description: The context's name as given, with its C(@).
  type: str
  returned: always
  sample: "@example.com"
task:
  description: The task.
  type: str
  returned: always
  sample: verify
report:
  description:
    - The task's JSON report (C(provision <task> --json)'s C(report)), also when the task failed.
    - Its C(status) is C(succeeded) or C(failed); each of its C(steps) has a C(name), a C(status)
      (C(changed), C(unchanged), C(skipped), C(failed), C(rolled_back), C(not_run)), the C(changes)
      (paths) and C(commands), and a C(message) (why it was skipped or failed).
  type: dict
  returned: when the task ran
changed_paths:
  description: The paths the task changed (in check mode, would change).
  type: list
  elements: str
  returned: always
  sample: [/var/aegir/config/server_web]
reloads:
  description: "The services the task reloaded (in check mode, would reload), as C(@server: service)."
  type: list
  elements: str
  returned: always
results:
  description: What the task reports besides its steps (a C(login-reset) link, a backup's file, ...).
  type: dict
  returned: always
plan:
  description: In check mode, C(provision plan @name <task>)'s JSON report (status C(planned)).
  type: dict
  returned: in check mode
error_type:
  description:
    - On failure, the command line's error type - C(task_failed) (the task failed and was rolled
      back), C(context_not_found), C(invalid_context) (the task does not apply to the context), ...
  type: str
  returned: failure
rc:
  description: On failure, the exit status of C(provision) (1 failed, 2 refused input).
  type: int
  returned: failure
'''

import re

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.aegirj.provision.plugins.module_utils.cli import Cli, report_changed

TASKS = ['verify', 'install', 'delete', 'enable', 'disable', 'backup', 'backup-delete', 'restore', 'deploy',
         'migrate', 'clone', 'login-reset', 'import-site']
NAME_RE = re.compile(r'^@?[A-Za-z0-9][A-Za-z0-9._-]*$')


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type='str', required=True),
            task=dict(type='str', required=True, choices=TASKS),
            arguments=dict(type='list', elements='str', default=[]),
            new_db_server=dict(type='str'),
            new_uri=dict(type='str'),
            backup=dict(type='bool', default=False),
            override_slave_authority=dict(type='bool', default=False),
            provision=dict(type='path', default='provision'),
            home=dict(type='path'),
        ),
        supports_check_mode=True,
    )
    p = module.params
    task = p['task']
    if not NAME_RE.match(p['name']):
        module.fail_json(msg="name '%s' is not a context name (letters, digits, '.', '-' and '_')" % p['name'])
    name = '@' + p['name'].lstrip('@').lower()
    for option, tasks in (('new_db_server', ('migrate', 'clone')), ('new_uri', ('migrate',)),
                          ('backup', ('delete',)), ('override_slave_authority', ('verify',))):
        if p[option] and task not in tasks:
            module.fail_json(msg='%s applies to the %s task only, not to %s' % (option, ' and '.join(tasks), task))
    for argument in p['arguments']:
        if argument.startswith('-'):
            module.fail_json(msg="argument '%s': the arguments are names and paths; give options by their own"
                             " parameters (new_db_server, new_uri, backup, override_slave_authority)" % argument)

    cli = Cli(module)
    result = dict(changed=False, name=name, task=task)

    if module.check_mode:
        plan = cli.ok('plan', name, task)['report']
        result.update(plan=plan, changed=report_changed(plan), changed_paths=plan.get('changed_paths') or [],
                      reloads=plan.get('reloads') or [], results=plan.get('results') or {})
        module.exit_json(**result)

    args = [task, name] + list(p['arguments'])
    if p['new_db_server']:
        args.append('--new_db_server=' + p['new_db_server'])
    if p['new_uri']:
        args.append('--new_uri=' + p['new_uri'])
    if p['backup']:
        args.append('--backup')
    if p['override_slave_authority']:
        args.append('--override_slave_authority')
    rc, ran = cli.run(*args)
    report = ran.get('report') or (ran.get('error') or {}).get('report')
    if rc != 0 or not ran.get('ok'):
        # A failed task was rolled back by the command line; it may still have changed something
        # it could not put back, which its report says (changed_paths of the steps not rolled back).
        cli.fail(args, rc, ran, changed=report_changed(report), name=name, task=task)
    result.update(report=report, changed=report_changed(report), changed_paths=report.get('changed_paths') or [],
                  reloads=report.get('reloads') or [], results=report.get('results') or {})
    module.exit_json(**result)


if __name__ == '__main__':
    main()
