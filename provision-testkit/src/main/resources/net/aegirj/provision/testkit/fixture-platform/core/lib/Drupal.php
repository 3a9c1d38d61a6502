<?php

/**
 * @file
 * Stand-in for Drupal's core/lib/Drupal.php, so that version detection sees a
 * Drupal 10 code base in the Provision testkit's fixture platform.
 */

/**
 * Static service container wrapper (fixture: only the version).
 */
class Drupal {

  /**
   * The current system version.
   */
  const VERSION = '10.3.0';

}
