import { freshPglite } from "../helpers/postgres";
import { configSuite } from "./config.suite";

configSuite("PGlite", freshPglite);
