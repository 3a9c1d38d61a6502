<?php

/**
 * @file
 * Stub of Drupal's default.settings.php in the Provision testkit's fixture platform.
 */
