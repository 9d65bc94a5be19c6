import { freshPostgres } from "../helpers/postgres";
import { adminApiSuite } from "./admin-api.suite";

adminApiSuite("Postgres", freshPostgres);
