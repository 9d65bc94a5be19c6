import { freshPglite } from "../helpers/postgres";
import { entitiesSuite } from "./entities.suite";

entitiesSuite("PGlite", freshPglite);
