{{#new_file}}
<?php
// Host names of sites, maintained by Provision for Java.
{{/new_file}}
{{#entries}}
$sites['{{alias}}'] = '{{uri}}';{{marker}}
{{/entries}}
