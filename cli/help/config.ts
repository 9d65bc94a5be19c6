export const HELP = `Usage: lintel config COMMAND [OPTIONS]

Declarative configuration, as \`kong config\`.

The available commands are:
  db_import <file>      Replace the database's configuration with a kong.yml (YAML or JSON,
                        format 3.0), in one transaction: a file with any error changes nothing.
  db_export [<file>]    Write the database's configuration to a kong.yml (default: kong.yml;
                        - for standard output). An existing file is not overwritten.

The database is Postgres when KONG_PG_HOST or DATABASE_URL is set, otherwise the embedded one in
the prefix folder (KONG_PREFIX, default .lintel). Control planes on the same database pick the
change up within db_update_frequency.

Options:
  -c, --conf FILE       A kong.conf-style file of options`;
