<?php
// Site options for command-line use, written by Provision for Java. Holds secrets: 0440.
{{#db}}
$options['db_type'] = '{{db_type}}';
$options['db_name'] = '{{db_name}}';
$options['db_user'] = '{{db_user}}';
$options['db_passwd'] = '{{db_passwd}}';
$options['db_host'] = '{{db_host}}';
$options['db_port'] = '{{db_port}}';
{{/db}}
$options['uri'] = '{{uri}}';
$options['profile'] = '{{profile}}';
$options['language'] = '{{language}}';
