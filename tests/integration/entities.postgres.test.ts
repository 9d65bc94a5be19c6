import { freshPostgres } from "../helpers/postgres";
import { entitiesSuite } from "./entities.suite";

entitiesSuite("Postgres", freshPostgres);
