import { freshPglite } from "../helpers/postgres";
import { adminApiSuite } from "./admin-api.suite";

adminApiSuite("PGlite", freshPglite);
