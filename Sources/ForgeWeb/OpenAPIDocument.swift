/// The OpenAPI 3.1 document of the forge's REST API, served at `/api/v1/openapi.json` with the forge's
/// public URL in `servers` (`SERVER_URL`). Written by `scripts/openapi-document`; kept true by the
/// tests (schemathesis runs every operation against a running forge).
enum OpenAPIDocument {
    static let json = #"""
{
 "openapi": "3.1.0",
 "info": {
  "title": "Forgeworks forge API",
  "version": "1",
  "description": "The forge's REST API. Where Gitea has an endpoint, this one follows it (paths, JSON fields, status codes): a repository there is `{owner}/{repo}`, a path of two segments. Deeper repository paths use the forge's own `/repos/{name}/-/\u2026` routes. Lists take `page` and `limit` and answer with `X-Total-Count` and `Link`. Errors are `{\"error\": \u2026}`. Authenticate with HTTP basic (a password or a token), `Authorization: token T` or `Bearer T`."
 },
 "servers": [
  {
   "url": "SERVER_URL/api/v1"
  }
 ],
 "security": [
  {
   "basic": []
  },
  {
   "token": []
  }
 ],
 "paths": {
  "/version": {
   "get": {
    "summary": "The server's version",
    "tags": [
     "misc"
    ],
    "operationId": "getVersion",
    "responses": {
     "200": {
      "description": "The version",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/ServerVersion"
        }
       }
      }
     }
    },
    "security": [
     {}
    ]
   }
  },
  "/user": {
   "get": {
    "summary": "The signed-in user",
    "tags": [
     "user"
    ],
    "operationId": "userGetCurrent",
    "responses": {
     "200": {
      "description": "You",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/User"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/user/tokens": {
   "get": {
    "summary": "Your API tokens",
    "tags": [
     "user"
    ],
    "operationId": "userListOwnTokens",
    "parameters": [
     {
      "name": "page",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000000
      },
      "description": "Page, from 1"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 500
      },
      "description": "Per page"
     }
    ],
    "responses": {
     "200": {
      "description": "Tokens (never the secret)",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/AccessTokenListItem"
         }
        }
       }
      },
      "headers": {
       "X-Total-Count": {
        "schema": {
         "type": "integer"
        },
        "description": "How many in all"
       },
       "Link": {
        "schema": {
         "type": "string"
        },
        "description": "RFC 8288 links: next, prev, first, last"
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   },
   "post": {
    "summary": "A new token for you (shown once)",
    "tags": [
     "user"
    ],
    "operationId": "userCreateOwnToken",
    "responses": {
     "201": {
      "description": "The token",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/AccessToken"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "415": {
      "description": "Not JSON",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing or invalid (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/CreateAccessTokenOption"
       }
      }
     }
    }
   }
  },
  "/user/tokens/{id}": {
   "delete": {
    "summary": "Revoke one of your tokens",
    "tags": [
     "user"
    ],
    "operationId": "userDeleteOwnToken",
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "integer"
      }
     }
    ],
    "responses": {
     "204": {
      "description": "Revoked"
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/user/repos": {
   "get": {
    "summary": "Repositories you can write to",
    "tags": [
     "user"
    ],
    "operationId": "userCurrentListRepos",
    "parameters": [
     {
      "name": "page",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000000
      },
      "description": "Page, from 1"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 500
      },
      "description": "Per page"
     }
    ],
    "responses": {
     "200": {
      "description": "Repositories",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/Repository"
         }
        }
       }
      },
      "headers": {
       "X-Total-Count": {
        "schema": {
         "type": "integer"
        },
        "description": "How many in all"
       },
       "Link": {
        "schema": {
         "type": "string"
        },
        "description": "RFC 8288 links: next, prev, first, last"
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   },
   "post": {
    "summary": "Create a repository of yours (Gitea's CreateRepoOption)",
    "tags": [
     "repository"
    ],
    "operationId": "createCurrentUserRepo",
    "responses": {
     "201": {
      "description": "Created",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Repository"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "409": {
      "description": "Conflict",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "415": {
      "description": "Not JSON",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing or invalid (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/CreateRepoOption"
       }
      }
     }
    }
   }
  },
  "/users": {
   "get": {
    "summary": "All users (site admins)",
    "tags": [
     "admin"
    ],
    "operationId": "listUsers",
    "parameters": [
     {
      "name": "page",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000000
      },
      "description": "Page, from 1"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 500
      },
      "description": "Per page"
     }
    ],
    "responses": {
     "200": {
      "description": "Users",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/User"
         }
        }
       }
      },
      "headers": {
       "X-Total-Count": {
        "schema": {
         "type": "integer"
        },
        "description": "How many in all"
       },
       "Link": {
        "schema": {
         "type": "string"
        },
        "description": "RFC 8288 links: next, prev, first, last"
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   },
   "post": {
    "summary": "Add a user (site admins)",
    "tags": [
     "admin"
    ],
    "operationId": "createUser",
    "responses": {
     "201": {
      "description": "The user",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/User"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "409": {
      "description": "Conflict",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "415": {
      "description": "Not JSON",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing or invalid (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/ForgeCreateUserOption"
       }
      }
     }
    }
   }
  },
  "/users/{username}": {
   "get": {
    "summary": "A user",
    "tags": [
     "user"
    ],
    "operationId": "userGet",
    "parameters": [
     {
      "name": "username",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "The user",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/User"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   }
  },
  "/users/{username}/repos": {
   "get": {
    "summary": "A user's (or group's) repositories",
    "tags": [
     "user"
    ],
    "operationId": "userListRepos",
    "parameters": [
     {
      "name": "username",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "page",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000000
      },
      "description": "Page, from 1"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 500
      },
      "description": "Per page"
     }
    ],
    "responses": {
     "200": {
      "description": "Repositories",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/Repository"
         }
        }
       }
      },
      "headers": {
       "X-Total-Count": {
        "schema": {
         "type": "integer"
        },
        "description": "How many in all"
       },
       "Link": {
        "schema": {
         "type": "string"
        },
        "description": "RFC 8288 links: next, prev, first, last"
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   }
  },
  "/users/{username}/tokens": {
   "get": {
    "summary": "A user's tokens (the user, or a site admin)",
    "tags": [
     "user"
    ],
    "operationId": "userGetTokens",
    "parameters": [
     {
      "name": "username",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "page",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000000
      },
      "description": "Page, from 1"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 500
      },
      "description": "Per page"
     }
    ],
    "responses": {
     "200": {
      "description": "Tokens",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/AccessTokenListItem"
         }
        }
       }
      },
      "headers": {
       "X-Total-Count": {
        "schema": {
         "type": "integer"
        },
        "description": "How many in all"
       },
       "Link": {
        "schema": {
         "type": "string"
        },
        "description": "RFC 8288 links: next, prev, first, last"
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   },
   "post": {
    "summary": "A new token for yourself",
    "tags": [
     "user"
    ],
    "operationId": "userCreateToken",
    "parameters": [
     {
      "name": "username",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "201": {
      "description": "The token",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/AccessToken"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "415": {
      "description": "Not JSON",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing or invalid (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/CreateAccessTokenOption"
       }
      }
     }
    }
   }
  },
  "/users/{username}/tokens/{token}": {
   "delete": {
    "summary": "Revoke a token (by id or name)",
    "tags": [
     "user"
    ],
    "operationId": "userDeleteAccessToken",
    "parameters": [
     {
      "name": "username",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "token",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "204": {
      "description": "Revoked"
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/admin/users": {
   "get": {
    "summary": "All users (site admins)",
    "tags": [
     "admin"
    ],
    "operationId": "adminSearchUsers",
    "parameters": [
     {
      "name": "page",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000000
      },
      "description": "Page, from 1"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 500
      },
      "description": "Per page"
     }
    ],
    "responses": {
     "200": {
      "description": "Users",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/User"
         }
        }
       }
      },
      "headers": {
       "X-Total-Count": {
        "schema": {
         "type": "integer"
        },
        "description": "How many in all"
       },
       "Link": {
        "schema": {
         "type": "string"
        },
        "description": "RFC 8288 links: next, prev, first, last"
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   },
   "post": {
    "summary": "Add a user (Gitea's CreateUserOption)",
    "tags": [
     "admin"
    ],
    "operationId": "adminCreateUser",
    "responses": {
     "201": {
      "description": "The user",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/User"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "415": {
      "description": "Not JSON",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing or invalid (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/CreateUserOption"
       }
      }
     }
    }
   }
  },
  "/admin/users/{username}": {
   "patch": {
    "summary": "Change a user",
    "tags": [
     "admin"
    ],
    "operationId": "adminEditUser",
    "parameters": [
     {
      "name": "username",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "The user",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/User"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "415": {
      "description": "Not JSON",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing or invalid (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/EditUserOption"
       }
      }
     }
    }
   },
   "delete": {
    "summary": "Delete a user",
    "tags": [
     "admin"
    ],
    "operationId": "adminDeleteUser",
    "parameters": [
     {
      "name": "username",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "204": {
      "description": "Deleted"
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing or invalid (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/admin/users/{username}/repos": {
   "post": {
    "summary": "Create a repository for a user",
    "tags": [
     "admin"
    ],
    "operationId": "adminCreateRepo",
    "parameters": [
     {
      "name": "username",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "201": {
      "description": "Created",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Repository"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "409": {
      "description": "Conflict",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "415": {
      "description": "Not JSON",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing or invalid (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/CreateRepoOption"
       }
      }
     }
    }
   }
  },
  "/repos": {
   "get": {
    "summary": "The repositories you can read",
    "tags": [
     "repository"
    ],
    "operationId": "listRepositories",
    "parameters": [
     {
      "name": "page",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000000
      },
      "description": "Page, from 1"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 500
      },
      "description": "Per page"
     }
    ],
    "responses": {
     "200": {
      "description": "Repositories",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/Repository"
         }
        }
       }
      },
      "headers": {
       "X-Total-Count": {
        "schema": {
         "type": "integer"
        },
        "description": "How many in all"
       },
       "Link": {
        "schema": {
         "type": "string"
        },
        "description": "RFC 8288 links: next, prev, first, last"
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   },
   "post": {
    "summary": "Create a repository at a path of 1 to 8 segments",
    "tags": [
     "repository"
    ],
    "operationId": "createRepository",
    "responses": {
     "201": {
      "description": "Created",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Repository"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "409": {
      "description": "Conflict",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "415": {
      "description": "Not JSON",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing or invalid (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/ForgeCreateRepoOption"
       }
      }
     }
    }
   }
  },
  "/repos/search": {
   "get": {
    "summary": "Search repositories by name and description",
    "tags": [
     "repository"
    ],
    "operationId": "repoSearch",
    "parameters": [
     {
      "name": "q",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "page",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000000
      },
      "description": "Page, from 1"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 500
      },
      "description": "Per page"
     }
    ],
    "responses": {
     "200": {
      "description": "Gitea's search results",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/SearchResults"
        }
       }
      },
      "headers": {
       "X-Total-Count": {
        "schema": {
         "type": "integer"
        },
        "description": "How many in all"
       },
       "Link": {
        "schema": {
         "type": "string"
        },
        "description": "RFC 8288 links: next, prev, first, last"
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   }
  },
  "/repos/{owner}/{repo}": {
   "get": {
    "summary": "A repository",
    "tags": [
     "repository"
    ],
    "operationId": "repoGet",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "The repository",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Repository"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   },
   "patch": {
    "summary": "Change its description or visibility (admin)",
    "tags": [
     "repository"
    ],
    "operationId": "repoEdit",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "The repository",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Repository"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "415": {
      "description": "Not JSON",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing or invalid (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/EditRepoOption"
       }
      }
     }
    }
   },
   "delete": {
    "summary": "Delete it (admin)",
    "tags": [
     "repository"
    ],
    "operationId": "repoDelete",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     }
    ],
    "responses": {
     "204": {
      "description": "Deleted"
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/repos/{owner}/{repo}/branches": {
   "get": {
    "summary": "Branches",
    "tags": [
     "repository"
    ],
    "operationId": "repoListBranches",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     },
     {
      "name": "page",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000000
      },
      "description": "Page, from 1"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 500
      },
      "description": "Per page"
     }
    ],
    "responses": {
     "200": {
      "description": "Branches",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/Branch"
         }
        }
       }
      },
      "headers": {
       "X-Total-Count": {
        "schema": {
         "type": "integer"
        },
        "description": "How many in all"
       },
       "Link": {
        "schema": {
         "type": "string"
        },
        "description": "RFC 8288 links: next, prev, first, last"
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   }
  },
  "/repos/{owner}/{repo}/branches/{branch}": {
   "get": {
    "summary": "A branch",
    "tags": [
     "repository"
    ],
    "operationId": "repoGetBranch",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     },
     {
      "name": "branch",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "The branch",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Branch"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   }
  },
  "/repos/{owner}/{repo}/tags": {
   "get": {
    "summary": "Tags",
    "tags": [
     "repository"
    ],
    "operationId": "repoListTags",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     },
     {
      "name": "page",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000000
      },
      "description": "Page, from 1"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 500
      },
      "description": "Per page"
     }
    ],
    "responses": {
     "200": {
      "description": "Tags",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/Tag"
         }
        }
       }
      },
      "headers": {
       "X-Total-Count": {
        "schema": {
         "type": "integer"
        },
        "description": "How many in all"
       },
       "Link": {
        "schema": {
         "type": "string"
        },
        "description": "RFC 8288 links: next, prev, first, last"
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   }
  },
  "/repos/{owner}/{repo}/commits": {
   "get": {
    "summary": "Commits, newest first",
    "tags": [
     "repository"
    ],
    "operationId": "repoGetAllCommits",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     },
     {
      "name": "sha",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "A branch, tag or commit"
     },
     {
      "name": "path",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "Only commits changing this path"
     },
     {
      "name": "page",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000000
      },
      "description": "Page, from 1"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 500
      },
      "description": "Per page"
     }
    ],
    "responses": {
     "200": {
      "description": "Commits",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/Commit"
         }
        }
       }
      },
      "headers": {
       "X-Total-Count": {
        "schema": {
         "type": "integer"
        },
        "description": "How many in all"
       },
       "Link": {
        "schema": {
         "type": "string"
        },
        "description": "RFC 8288 links: next, prev, first, last"
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   }
  },
  "/repos/{owner}/{repo}/git/commits/{sha}": {
   "get": {
    "summary": "One commit with its changed files",
    "tags": [
     "repository"
    ],
    "operationId": "repoGetSingleCommit",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     },
     {
      "name": "sha",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "The commit",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Commit"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   }
  },
  "/repos/{owner}/{repo}/contents": {
   "get": {
    "summary": "The root folder's entries",
    "tags": [
     "repository"
    ],
    "operationId": "repoGetContentsList",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     },
     {
      "name": "ref",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "Entries",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/ContentsResponse"
         }
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   }
  },
  "/repos/{owner}/{repo}/contents/{filepath}": {
   "get": {
    "summary": "A file (base64) or a folder's entries",
    "tags": [
     "repository"
    ],
    "operationId": "repoGetContents",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     },
     {
      "name": "filepath",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "ref",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "The file, or a folder's entries",
      "content": {
       "application/json": {
        "schema": {
         "oneOf": [
          {
           "$ref": "#/components/schemas/ContentsResponse"
          },
          {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/ContentsResponse"
           }
          }
         ]
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   }
  },
  "/repos/{owner}/{repo}/raw/{filepath}": {
   "get": {
    "summary": "A file's bytes",
    "tags": [
     "repository"
    ],
    "operationId": "repoGetRawFile",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     },
     {
      "name": "filepath",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "ref",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "The bytes",
      "content": {
       "application/octet-stream": {
        "schema": {
         "type": "string",
         "format": "binary"
        }
       },
       "text/plain": {
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   }
  },
  "/repos/{owner}/{repo}/statuses/{sha}": {
   "get": {
    "summary": "A commit's statuses, newest first",
    "tags": [
     "repository"
    ],
    "operationId": "repoListStatuses",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     },
     {
      "name": "sha",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      },
      "description": "A commit (or a branch or tag)"
     },
     {
      "name": "page",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000000
      },
      "description": "Page, from 1"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 500
      },
      "description": "Per page"
     }
    ],
    "responses": {
     "200": {
      "description": "Statuses",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/CommitStatus"
         }
        }
       }
      },
      "headers": {
       "X-Total-Count": {
        "schema": {
         "type": "integer"
        },
        "description": "How many in all"
       },
       "Link": {
        "schema": {
         "type": "string"
        },
        "description": "RFC 8288 links: next, prev, first, last"
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   },
   "post": {
    "summary": "Report a commit's status (write)",
    "tags": [
     "repository"
    ],
    "operationId": "repoCreateStatus",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     },
     {
      "name": "sha",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "201": {
      "description": "The status",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/CommitStatus"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "415": {
      "description": "Not JSON",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing or invalid (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/CreateStatusOption"
       }
      }
     }
    }
   }
  },
  "/repos/{owner}/{repo}/commits/{ref}/statuses": {
   "get": {
    "summary": "The statuses of a branch, tag or commit",
    "tags": [
     "repository"
    ],
    "operationId": "repoListStatusesByRef",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     },
     {
      "name": "ref",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "page",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000000
      },
      "description": "Page, from 1"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 500
      },
      "description": "Per page"
     }
    ],
    "responses": {
     "200": {
      "description": "Statuses",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/CommitStatus"
         }
        }
       }
      },
      "headers": {
       "X-Total-Count": {
        "schema": {
         "type": "integer"
        },
        "description": "How many in all"
       },
       "Link": {
        "schema": {
         "type": "string"
        },
        "description": "RFC 8288 links: next, prev, first, last"
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   }
  },
  "/repos/{owner}/{repo}/commits/{ref}/status": {
   "get": {
    "summary": "The combined status of a branch, tag or commit",
    "tags": [
     "repository"
    ],
    "operationId": "repoGetCombinedStatusByRef",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     },
     {
      "name": "ref",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "The combined status",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/CombinedStatus"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   }
  },
  "/repos/{owner}/{repo}/pulls": {
   "get": {
    "summary": "Pull requests, newest first",
    "tags": [
     "repository"
    ],
    "operationId": "repoListPullRequests",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     },
     {
      "name": "state",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "enum": [
        "open",
        "closed",
        "all"
       ]
      }
     },
     {
      "name": "page",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000000
      },
      "description": "Page, from 1"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 500
      },
      "description": "Per page"
     }
    ],
    "responses": {
     "200": {
      "description": "Pull requests",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/PullRequest"
         }
        }
       }
      },
      "headers": {
       "X-Total-Count": {
        "schema": {
         "type": "integer"
        },
        "description": "How many in all"
       },
       "Link": {
        "schema": {
         "type": "string"
        },
        "description": "RFC 8288 links: next, prev, first, last"
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing or invalid (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   },
   "post": {
    "summary": "Open a pull request between two branches",
    "tags": [
     "repository"
    ],
    "operationId": "repoCreatePullRequest",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     }
    ],
    "responses": {
     "201": {
      "description": "The pull request",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/PullRequest"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "409": {
      "description": "Conflict",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "415": {
      "description": "Not JSON",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing or invalid (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/CreatePullRequestOption"
       }
      }
     }
    }
   }
  },
  "/repos/{owner}/{repo}/pulls/{index}": {
   "get": {
    "summary": "A pull request",
    "tags": [
     "repository"
    ],
    "operationId": "repoGetPullRequest",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     },
     {
      "name": "index",
      "in": "path",
      "required": true,
      "schema": {
       "type": "integer",
       "minimum": 1
      }
     }
    ],
    "responses": {
     "200": {
      "description": "The pull request",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/PullRequest"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   },
   "patch": {
    "summary": "Change its title or description, close or reopen it (its author or write)",
    "tags": [
     "repository"
    ],
    "operationId": "repoEditPullRequest",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     },
     {
      "name": "index",
      "in": "path",
      "required": true,
      "schema": {
       "type": "integer",
       "minimum": 1
      }
     }
    ],
    "responses": {
     "201": {
      "description": "The pull request",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/PullRequest"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "409": {
      "description": "Conflict",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "415": {
      "description": "Not JSON",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing or invalid (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/EditPullRequestOption"
       }
      }
     }
    }
   }
  },
  "/repos/{owner}/{repo}/pulls/{index}/commits": {
   "get": {
    "summary": "The commits it brings",
    "tags": [
     "repository"
    ],
    "operationId": "repoGetPullRequestCommits",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     },
     {
      "name": "index",
      "in": "path",
      "required": true,
      "schema": {
       "type": "integer",
       "minimum": 1
      }
     },
     {
      "name": "page",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000000
      },
      "description": "Page, from 1"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 500
      },
      "description": "Per page"
     }
    ],
    "responses": {
     "200": {
      "description": "Commits",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/Commit"
         }
        }
       }
      },
      "headers": {
       "X-Total-Count": {
        "schema": {
         "type": "integer"
        },
        "description": "How many in all"
       },
       "Link": {
        "schema": {
         "type": "string"
        },
        "description": "RFC 8288 links: next, prev, first, last"
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   }
  },
  "/repos/{owner}/{repo}/pulls/{index}/files": {
   "get": {
    "summary": "The files it changes, from the merge base",
    "tags": [
     "repository"
    ],
    "operationId": "repoGetPullRequestFiles",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     },
     {
      "name": "index",
      "in": "path",
      "required": true,
      "schema": {
       "type": "integer",
       "minimum": 1
      }
     },
     {
      "name": "page",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000000
      },
      "description": "Page, from 1"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 500
      },
      "description": "Per page"
     }
    ],
    "responses": {
     "200": {
      "description": "Files",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/ChangedFile"
         }
        }
       }
      },
      "headers": {
       "X-Total-Count": {
        "schema": {
         "type": "integer"
        },
        "description": "How many in all"
       },
       "Link": {
        "schema": {
         "type": "string"
        },
        "description": "RFC 8288 links: next, prev, first, last"
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   }
  },
  "/repos/{owner}/{repo}/pulls/{index}/merge": {
   "get": {
    "summary": "Whether it is merged (204) or not (404)",
    "tags": [
     "repository"
    ],
    "operationId": "repoPullRequestIsMerged",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     },
     {
      "name": "index",
      "in": "path",
      "required": true,
      "schema": {
       "type": "integer",
       "minimum": 1
      }
     }
    ],
    "responses": {
     "204": {
      "description": "Merged"
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   },
   "post": {
    "summary": "Merge it (write): a merge commit, a squash or a fast-forward",
    "tags": [
     "repository"
    ],
    "operationId": "repoMergePullRequest",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     },
     {
      "name": "index",
      "in": "path",
      "required": true,
      "schema": {
       "type": "integer",
       "minimum": 1
      }
     }
    ],
    "responses": {
     "200": {
      "description": "The merged pull request",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/PullRequest"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "405": {
      "description": "Method not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "409": {
      "description": "Conflict",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "415": {
      "description": "Not JSON",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing or invalid (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/MergePullRequestOption"
       }
      }
     }
    }
   }
  },
  "/repos/{owner}/{repo}/issues/{index}/comments": {
   "get": {
    "summary": "A pull request's conversation",
    "tags": [
     "repository"
    ],
    "operationId": "issueGetComments",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     },
     {
      "name": "index",
      "in": "path",
      "required": true,
      "schema": {
       "type": "integer",
       "minimum": 1
      }
     },
     {
      "name": "page",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000000
      },
      "description": "Page, from 1"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 500
      },
      "description": "Per page"
     }
    ],
    "responses": {
     "200": {
      "description": "Comments",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/Comment"
         }
        }
       }
      },
      "headers": {
       "X-Total-Count": {
        "schema": {
         "type": "integer"
        },
        "description": "How many in all"
       },
       "Link": {
        "schema": {
         "type": "string"
        },
        "description": "RFC 8288 links: next, prev, first, last"
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   },
   "post": {
    "summary": "Comment on a pull request",
    "tags": [
     "repository"
    ],
    "operationId": "issueCreateComment",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     },
     {
      "name": "index",
      "in": "path",
      "required": true,
      "schema": {
       "type": "integer",
       "minimum": 1
      }
     }
    ],
    "responses": {
     "201": {
      "description": "The comment",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Comment"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "415": {
      "description": "Not JSON",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing or invalid (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/CreateIssueCommentOption"
       }
      }
     }
    }
   }
  },
  "/repos/{owner}/{repo}/pulls/{index}/reviews": {
   "get": {
    "summary": "A pull request's reviews",
    "tags": [
     "repository"
    ],
    "operationId": "repoListPullReviews",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     },
     {
      "name": "index",
      "in": "path",
      "required": true,
      "schema": {
       "type": "integer",
       "minimum": 1
      }
     },
     {
      "name": "page",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000000
      },
      "description": "Page, from 1"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 500
      },
      "description": "Per page"
     }
    ],
    "responses": {
     "200": {
      "description": "Reviews",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/PullReview"
         }
        }
       }
      },
      "headers": {
       "X-Total-Count": {
        "schema": {
         "type": "integer"
        },
        "description": "How many in all"
       },
       "Link": {
        "schema": {
         "type": "string"
        },
        "description": "RFC 8288 links: next, prev, first, last"
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   },
   "post": {
    "summary": "Review it: approve, request changes or comment, with line comments",
    "tags": [
     "repository"
    ],
    "operationId": "repoCreatePullReview",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     },
     {
      "name": "index",
      "in": "path",
      "required": true,
      "schema": {
       "type": "integer",
       "minimum": 1
      }
     }
    ],
    "responses": {
     "200": {
      "description": "The review",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/PullReview"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "409": {
      "description": "Conflict",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "415": {
      "description": "Not JSON",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing or invalid (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/CreatePullReviewOptions"
       }
      }
     }
    }
   }
  },
  "/repos/{owner}/{repo}/pulls/{index}/reviews/{id}/comments": {
   "get": {
    "summary": "A review's line comments",
    "tags": [
     "repository"
    ],
    "operationId": "repoGetPullReviewComments",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     },
     {
      "name": "index",
      "in": "path",
      "required": true,
      "schema": {
       "type": "integer",
       "minimum": 1
      }
     },
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "integer",
       "minimum": 1
      }
     }
    ],
    "responses": {
     "200": {
      "description": "Comments",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/Comment"
         }
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   }
  },
  "/repos/{owner}/{repo}/pulls/{index}/requested_reviewers": {
   "post": {
    "summary": "Ask for reviews (its author or write)",
    "tags": [
     "repository"
    ],
    "operationId": "repoCreatePullReviewRequests",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     },
     {
      "name": "index",
      "in": "path",
      "required": true,
      "schema": {
       "type": "integer",
       "minimum": 1
      }
     }
    ],
    "responses": {
     "201": {
      "description": "Who is asked",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/User"
         }
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "415": {
      "description": "Not JSON",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing or invalid (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/PullReviewRequestOptions"
       }
      }
     }
    }
   },
   "delete": {
    "summary": "Withdraw review requests (its author or write)",
    "tags": [
     "repository"
    ],
    "operationId": "repoDeletePullReviewRequests",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     },
     {
      "name": "index",
      "in": "path",
      "required": true,
      "schema": {
       "type": "integer",
       "minimum": 1
      }
     }
    ],
    "responses": {
     "204": {
      "description": "Withdrawn"
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "415": {
      "description": "Not JSON",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing or invalid (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/PullReviewRequestOptions"
       }
      }
     }
    }
   }
  },
  "/repos/{owner}/{repo}/branch_protections": {
   "get": {
    "summary": "Protected branch rules (admin)",
    "tags": [
     "repository"
    ],
    "operationId": "repoListBranchProtection",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     },
     {
      "name": "page",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000000
      },
      "description": "Page, from 1"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 500
      },
      "description": "Per page"
     }
    ],
    "responses": {
     "200": {
      "description": "Rules",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/BranchProtection"
         }
        }
       }
      },
      "headers": {
       "X-Total-Count": {
        "schema": {
         "type": "integer"
        },
        "description": "How many in all"
       },
       "Link": {
        "schema": {
         "type": "string"
        },
        "description": "RFC 8288 links: next, prev, first, last"
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   },
   "post": {
    "summary": "Protect branches by name or glob (admin)",
    "tags": [
     "repository"
    ],
    "operationId": "repoCreateBranchProtection",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     }
    ],
    "responses": {
     "201": {
      "description": "The rule",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/BranchProtection"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "415": {
      "description": "Not JSON",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing or invalid (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/CreateBranchProtectionOption"
       }
      }
     }
    }
   }
  },
  "/repos/{owner}/{repo}/branch_protections/{name}": {
   "get": {
    "summary": "A protected branch rule (admin)",
    "tags": [
     "repository"
    ],
    "operationId": "repoGetBranchProtection",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     },
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "The rule",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/BranchProtection"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   },
   "patch": {
    "summary": "Change a protected branch rule (admin)",
    "tags": [
     "repository"
    ],
    "operationId": "repoEditBranchProtection",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     },
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "The rule",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/BranchProtection"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "415": {
      "description": "Not JSON",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing or invalid (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/EditBranchProtectionOption"
       }
      }
     }
    }
   },
   "delete": {
    "summary": "Remove a protected branch rule (admin)",
    "tags": [
     "repository"
    ],
    "operationId": "repoDeleteBranchProtection",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     },
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "204": {
      "description": "Removed"
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/repos/{owner}/{repo}/hooks": {
   "get": {
    "summary": "Webhooks (admin)",
    "tags": [
     "repository"
    ],
    "operationId": "repoListHooks",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     },
     {
      "name": "page",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000000
      },
      "description": "Page, from 1"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 500
      },
      "description": "Per page"
     }
    ],
    "responses": {
     "200": {
      "description": "Webhooks",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/Hook"
         }
        }
       }
      },
      "headers": {
       "X-Total-Count": {
        "schema": {
         "type": "integer"
        },
        "description": "How many in all"
       },
       "Link": {
        "schema": {
         "type": "string"
        },
        "description": "RFC 8288 links: next, prev, first, last"
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   },
   "post": {
    "summary": "Add a webhook (admin)",
    "tags": [
     "repository"
    ],
    "operationId": "repoCreateHook",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     }
    ],
    "responses": {
     "201": {
      "description": "The webhook",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Hook"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "415": {
      "description": "Not JSON",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing or invalid (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/CreateHookOption"
       }
      }
     }
    }
   }
  },
  "/repos/{owner}/{repo}/hooks/{id}": {
   "get": {
    "summary": "A webhook (admin)",
    "tags": [
     "repository"
    ],
    "operationId": "repoGetHook",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     },
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "integer"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "The webhook",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Hook"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   },
   "patch": {
    "summary": "Change a webhook (admin)",
    "tags": [
     "repository"
    ],
    "operationId": "repoEditHook",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     },
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "integer"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "The webhook",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Hook"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "415": {
      "description": "Not JSON",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing or invalid (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/EditHookOption"
       }
      }
     }
    }
   },
   "delete": {
    "summary": "Remove a webhook (admin)",
    "tags": [
     "repository"
    ],
    "operationId": "repoDeleteHook",
    "parameters": [
     {
      "name": "owner",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
      }
     },
     {
      "name": "repo",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     },
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "integer"
      }
     }
    ],
    "responses": {
     "204": {
      "description": "Removed"
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/repos/{name}/-/branches": {
   "get": {
    "summary": "Branches (git) or branches and bookmarks (hg)",
    "tags": [
     "repository"
    ],
    "operationId": "forgeBranches",
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){0,7}$"
      },
      "description": "A repository path of 1 to 8 segments"
     },
     {
      "name": "page",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000000
      },
      "description": "Page, from 1"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 500
      },
      "description": "Per page"
     }
    ],
    "responses": {
     "200": {
      "description": "References",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/Reference"
         }
        }
       }
      },
      "headers": {
       "X-Total-Count": {
        "schema": {
         "type": "integer"
        },
        "description": "How many in all"
       },
       "Link": {
        "schema": {
         "type": "string"
        },
        "description": "RFC 8288 links: next, prev, first, last"
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   }
  },
  "/repos/{name}/-/tags": {
   "get": {
    "summary": "Tags",
    "tags": [
     "repository"
    ],
    "operationId": "forgeTags",
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){0,7}$"
      },
      "description": "A repository path of 1 to 8 segments"
     },
     {
      "name": "page",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000000
      },
      "description": "Page, from 1"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 500
      },
      "description": "Per page"
     }
    ],
    "responses": {
     "200": {
      "description": "References",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/Reference"
         }
        }
       }
      },
      "headers": {
       "X-Total-Count": {
        "schema": {
         "type": "integer"
        },
        "description": "How many in all"
       },
       "Link": {
        "schema": {
         "type": "string"
        },
        "description": "RFC 8288 links: next, prev, first, last"
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   }
  },
  "/repos/{name}/-/commits": {
   "get": {
    "summary": "History (git: X-Total-Count counts it all; hg: up to the page's end and one more)",
    "tags": [
     "repository"
    ],
    "operationId": "forgeCommits",
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){0,7}$"
      },
      "description": "A repository path of 1 to 8 segments"
     },
     {
      "name": "rev",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "page",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000000
      },
      "description": "Page, from 1"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 500
      },
      "description": "Per page"
     }
    ],
    "responses": {
     "200": {
      "description": "Commits",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/ForgeCommit"
         }
        }
       }
      },
      "headers": {
       "X-Total-Count": {
        "schema": {
         "type": "integer"
        },
        "description": "How many in all"
       },
       "Link": {
        "schema": {
         "type": "string"
        },
        "description": "RFC 8288 links: next, prev, first, last"
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   }
  },
  "/repos/{name}/-/runs": {
   "get": {
    "summary": "Pipeline runs, newest first",
    "tags": [
     "pipelines"
    ],
    "operationId": "forgeRuns",
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){0,7}$"
      },
      "description": "A repository path of 1 to 8 segments"
     },
     {
      "name": "page",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000000
      },
      "description": "Page, from 1"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 500
      },
      "description": "Per page"
     }
    ],
    "responses": {
     "200": {
      "description": "Runs",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/Run"
         }
        }
       }
      },
      "headers": {
       "X-Total-Count": {
        "schema": {
         "type": "integer"
        },
        "description": "How many in all"
       },
       "Link": {
        "schema": {
         "type": "string"
        },
        "description": "RFC 8288 links: next, prev, first, last"
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   }
  },
  "/repos/{name}/-/pipelines": {
   "get": {
    "summary": "Stored pipeline configurations (admin)",
    "tags": [
     "pipelines"
    ],
    "operationId": "forgePipelines",
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){0,7}$"
      },
      "description": "A repository path of 1 to 8 segments"
     },
     {
      "name": "page",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000000
      },
      "description": "Page, from 1"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 500
      },
      "description": "Per page"
     }
    ],
    "responses": {
     "200": {
      "description": "Names",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object"
         }
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   },
   "put": {
    "summary": "Store pipeline configurations (YAML or JSON; admin)",
    "tags": [
     "pipelines"
    ],
    "operationId": "forgePutPipelines",
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){0,7}$"
      },
      "description": "A repository path of 1 to 8 segments"
     }
    ],
    "responses": {
     "200": {
      "description": "Stored",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     },
     "201": {
      "description": "Stored",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "415": {
      "description": "Not JSON",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing or invalid (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object"
       }
      }
     }
    }
   }
  },
  "/repos/{name}/-/deployments": {
   "get": {
    "summary": "Deployments",
    "tags": [
     "deployments"
    ],
    "operationId": "forgeDeployments",
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){0,7}$"
      },
      "description": "A repository path of 1 to 8 segments"
     },
     {
      "name": "page",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000000
      },
      "description": "Page, from 1"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 500
      },
      "description": "Per page"
     }
    ],
    "responses": {
     "200": {
      "description": "Deployments",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/Deployment"
         }
        }
       }
      },
      "headers": {
       "X-Total-Count": {
        "schema": {
         "type": "integer"
        },
        "description": "How many in all"
       },
       "Link": {
        "schema": {
         "type": "string"
        },
        "description": "RFC 8288 links: next, prev, first, last"
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   },
   "post": {
    "summary": "Queue a deployment of a branch (write)",
    "tags": [
     "deployments"
    ],
    "operationId": "forgeDeploy",
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){0,7}$"
      },
      "description": "A repository path of 1 to 8 segments"
     }
    ],
    "responses": {
     "201": {
      "description": "The deployment",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Deployment"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "409": {
      "description": "Conflict",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "415": {
      "description": "Not JSON",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing or invalid (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "branch": {
          "type": "string"
         },
         "commit": {
          "type": "string"
         },
         "environment": {
          "type": "string"
         },
         "release": {
          "type": "string"
         }
        }
       }
      }
     }
    }
   }
  },
  "/repos/{name}/-/deploy": {
   "get": {
    "summary": "How the repository deploys (secret names only)",
    "tags": [
     "deployments"
    ],
    "operationId": "forgeGetDeploy",
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){0,7}$"
      },
      "description": "A repository path of 1 to 8 segments"
     }
    ],
    "responses": {
     "200": {
      "description": "The set-up",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/DeploySetup"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   },
   "put": {
    "summary": "Set up how it deploys (admin)",
    "tags": [
     "deployments"
    ],
    "operationId": "forgePutDeploy",
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){0,7}$"
      },
      "description": "A repository path of 1 to 8 segments"
     }
    ],
    "responses": {
     "200": {
      "description": "The set-up",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/DeploySetup"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "415": {
      "description": "Not JSON",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing or invalid (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/DeploySetup"
       }
      }
     }
    }
   },
   "delete": {
    "summary": "Stop deploying (admin)",
    "tags": [
     "deployments"
    ],
    "operationId": "forgeDeleteDeploy",
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){0,7}$"
      },
      "description": "A repository path of 1 to 8 segments"
     }
    ],
    "responses": {
     "204": {
      "description": "Done"
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/repos/{name}/-/releases": {
   "get": {
    "summary": "Releases a rollback can go to",
    "tags": [
     "deployments"
    ],
    "operationId": "forgeReleases",
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){0,7}$"
      },
      "description": "A repository path of 1 to 8 segments"
     },
     {
      "name": "environment",
      "in": "query",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "Releases",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/Release"
         }
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   }
  },
  "/runs/{id}": {
   "get": {
    "summary": "A run with its steps",
    "tags": [
     "pipelines"
    ],
    "operationId": "runGet",
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "integer",
       "minimum": 1
      }
     }
    ],
    "responses": {
     "200": {
      "description": "The run",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Run"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   }
  },
  "/runs/{id}/log": {
   "get": {
    "summary": "A run's log from byte `after` on",
    "tags": [
     "pipelines"
    ],
    "operationId": "runLog",
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "integer",
       "minimum": 1
      }
     },
     {
      "name": "after",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 0
      }
     }
    ],
    "responses": {
     "200": {
      "description": "Part of the log",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/LogPart"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   }
  },
  "/runs/{id}/rerun": {
   "post": {
    "summary": "Run it again (write)",
    "tags": [
     "pipelines"
    ],
    "operationId": "runRerun",
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "integer",
       "minimum": 1
      }
     }
    ],
    "responses": {
     "201": {
      "description": "The new run",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Run"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/runs/{id}/cancel": {
   "post": {
    "summary": "Cancel it (write)",
    "tags": [
     "pipelines"
    ],
    "operationId": "runCancel",
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "integer",
       "minimum": 1
      }
     }
    ],
    "responses": {
     "200": {
      "description": "The run",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Run"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "409": {
      "description": "Conflict",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/deployments/{id}/log": {
   "get": {
    "summary": "A deployment's log from byte `after` on",
    "tags": [
     "deployments"
    ],
    "operationId": "deploymentLog",
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "integer",
       "minimum": 1
      }
     },
     {
      "name": "after",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 0
      }
     }
    ],
    "responses": {
     "200": {
      "description": "Part of the log",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/LogPart"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   }
  },
  "/groups": {
   "get": {
    "summary": "Groups you can see",
    "tags": [
     "repository"
    ],
    "operationId": "listGroups",
    "parameters": [
     {
      "name": "page",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000000
      },
      "description": "Page, from 1"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 500
      },
      "description": "Per page"
     }
    ],
    "responses": {
     "200": {
      "description": "Groups",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/Group"
         }
        }
       }
      },
      "headers": {
       "X-Total-Count": {
        "schema": {
         "type": "integer"
        },
        "description": "How many in all"
       },
       "Link": {
        "schema": {
         "type": "string"
        },
        "description": "RFC 8288 links: next, prev, first, last"
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   }
  },
  "/repos/{name}": {
   "get": {
    "summary": "A repository at any depth",
    "tags": [
     "repository"
    ],
    "operationId": "forgeRepoGet",
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){0,7}$"
      },
      "description": "A repository path of 1 to 8 segments"
     }
    ],
    "responses": {
     "200": {
      "description": "The repository",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Repository"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   },
   "delete": {
    "summary": "Delete a repository (admin)",
    "tags": [
     "repository"
    ],
    "operationId": "forgeRepoDelete",
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){0,7}$"
      },
      "description": "A repository path of 1 to 8 segments"
     }
    ],
    "responses": {
     "204": {
      "description": "Deleted"
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   },
   "patch": {
    "summary": "Change a repository's description or visibility (admin)",
    "tags": [
     "repository"
    ],
    "operationId": "forgeRepoEdit",
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){0,7}$"
      },
      "description": "A repository path of 1 to 8 segments"
     }
    ],
    "responses": {
     "200": {
      "description": "The repository",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Repository"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "415": {
      "description": "Not JSON",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing or invalid (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/EditRepoOption"
       }
      }
     }
    }
   }
  },
  "/repos/{name}/-/commits/{id}": {
   "get": {
    "summary": "A commit (git) or changeset (hg) with its changes",
    "tags": [
     "repository"
    ],
    "operationId": "forgeCommit",
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){0,7}$"
      },
      "description": "A repository path of 1 to 8 segments"
     },
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "The commit",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   }
  },
  "/repos/{name}/-/tree/{rev}": {
   "get": {
    "summary": "A folder's entries",
    "tags": [
     "repository"
    ],
    "operationId": "forgeTree",
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){0,7}$"
      },
      "description": "A repository path of 1 to 8 segments"
     },
     {
      "name": "rev",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "path",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "Entries",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object",
          "properties": {
           "name": {
            "type": "string"
           },
           "path": {
            "type": "string"
           },
           "mode": {
            "type": "string"
           },
           "id": {
            "type": "string"
           },
           "size": {
            "type": [
             "integer",
             "null"
            ]
           }
          }
         }
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   }
  },
  "/repos/{name}/-/blob/{rev}": {
   "get": {
    "summary": "A file (text, or base64)",
    "tags": [
     "repository"
    ],
    "operationId": "forgeBlob",
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){0,7}$"
      },
      "description": "A repository path of 1 to 8 segments"
     },
     {
      "name": "rev",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "path",
      "in": "query",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "The file",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "path": {
           "type": "string"
          },
          "size": {
           "type": "integer"
          },
          "encoding": {
           "type": "string"
          },
          "content": {
           "type": "string"
          }
         }
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   }
  },
  "/repos/{name}/-/permissions/{user}": {
   "put": {
    "summary": "Grant a level (`none` removes; admin)",
    "tags": [
     "repository"
    ],
    "operationId": "forgeGrant",
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){0,7}$"
      },
      "description": "A repository path of 1 to 8 segments"
     },
     {
      "name": "user",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "The grant",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "415": {
      "description": "Not JSON",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "level"
        ],
        "properties": {
         "level": {
          "type": "string",
          "enum": [
           "none",
           "read",
           "write",
           "admin"
          ]
         }
        }
       }
      }
     }
    }
   }
  },
  "/repos/{name}/-/pipeline-network": {
   "put": {
    "summary": "The pipelines' network (site admins)",
    "tags": [
     "pipelines"
    ],
    "operationId": "forgePipelineNetwork",
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){0,7}$"
      },
      "description": "A repository path of 1 to 8 segments"
     }
    ],
    "responses": {
     "200": {
      "description": "The network",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "415": {
      "description": "Not JSON",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "network"
        ],
        "properties": {
         "network": {
          "type": "string",
          "enum": [
           "none",
           "host"
          ]
         }
        }
       }
      }
     }
    }
   }
  },
  "/repos/{name}/-/statuses/{sha}": {
   "get": {
    "summary": "A commit's statuses, newest first",
    "tags": [
     "repository"
    ],
    "operationId": "forgeListStatuses",
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){0,7}$"
      },
      "description": "A repository path of 1 to 8 segments"
     },
     {
      "name": "sha",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "page",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000000
      },
      "description": "Page, from 1"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 500
      },
      "description": "Per page"
     }
    ],
    "responses": {
     "200": {
      "description": "Statuses",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/CommitStatus"
         }
        }
       }
      },
      "headers": {
       "X-Total-Count": {
        "schema": {
         "type": "integer"
        },
        "description": "How many in all"
       },
       "Link": {
        "schema": {
         "type": "string"
        },
        "description": "RFC 8288 links: next, prev, first, last"
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   },
   "post": {
    "summary": "Report a commit's status (write)",
    "tags": [
     "repository"
    ],
    "operationId": "forgeCreateStatus",
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){0,7}$"
      },
      "description": "A repository path of 1 to 8 segments"
     },
     {
      "name": "sha",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "201": {
      "description": "The status",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/CommitStatus"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "415": {
      "description": "Not JSON",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing or invalid (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/CreateStatusOption"
       }
      }
     }
    }
   }
  },
  "/repos/{name}/-/hooks": {
   "get": {
    "summary": "Webhooks (admin)",
    "tags": [
     "repository"
    ],
    "operationId": "forgeHooks",
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){0,7}$"
      },
      "description": "A repository path of 1 to 8 segments"
     },
     {
      "name": "page",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000000
      },
      "description": "Page, from 1"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 500
      },
      "description": "Per page"
     }
    ],
    "responses": {
     "200": {
      "description": "Webhooks",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/Hook"
         }
        }
       }
      },
      "headers": {
       "X-Total-Count": {
        "schema": {
         "type": "integer"
        },
        "description": "How many in all"
       },
       "Link": {
        "schema": {
         "type": "string"
        },
        "description": "RFC 8288 links: next, prev, first, last"
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   },
   "post": {
    "summary": "Add a webhook (admin)",
    "tags": [
     "repository"
    ],
    "operationId": "forgeAddHook",
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){0,7}$"
      },
      "description": "A repository path of 1 to 8 segments"
     }
    ],
    "responses": {
     "201": {
      "description": "The webhook",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "415": {
      "description": "Not JSON",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing or invalid (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "url"
        ],
        "properties": {
         "url": {
          "type": "string"
         },
         "secret": {
          "type": "string"
         }
        }
       }
      }
     }
    }
   }
  },
  "/repos/{name}/-/hooks/{id}": {
   "delete": {
    "summary": "Remove a webhook (admin)",
    "tags": [
     "repository"
    ],
    "operationId": "forgeDeleteHook",
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){0,7}$"
      },
      "description": "A repository path of 1 to 8 segments"
     },
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "integer",
       "minimum": 1
      }
     }
    ],
    "responses": {
     "204": {
      "description": "Removed"
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/repos/{name}/-/hooks/{id}/deliveries": {
   "get": {
    "summary": "A webhook's delivery log (admin)",
    "tags": [
     "repository"
    ],
    "operationId": "forgeDeliveries",
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){0,7}$"
      },
      "description": "A repository path of 1 to 8 segments"
     },
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "integer",
       "minimum": 1
      }
     },
     {
      "name": "page",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000000
      },
      "description": "Page, from 1"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 500
      },
      "description": "Per page"
     }
    ],
    "responses": {
     "200": {
      "description": "Deliveries",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object"
         }
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   }
  },
  "/repos/{name}/-/secrets": {
   "get": {
    "summary": "Pipeline secrets, names only (admin)",
    "tags": [
     "pipelines"
    ],
    "operationId": "forgeSecrets",
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){0,7}$"
      },
      "description": "A repository path of 1 to 8 segments"
     },
     {
      "name": "page",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000000
      },
      "description": "Page, from 1"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 500
      },
      "description": "Per page"
     }
    ],
    "responses": {
     "200": {
      "description": "Secrets",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object",
          "properties": {
           "name": {
            "type": "string"
           }
          }
         }
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   }
  },
  "/repos/{name}/-/secrets/{secret}": {
   "put": {
    "summary": "Set a pipeline secret (admin)",
    "tags": [
     "pipelines"
    ],
    "operationId": "forgeSetSecret",
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){0,7}$"
      },
      "description": "A repository path of 1 to 8 segments"
     },
     {
      "name": "secret",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "Set",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     },
     "201": {
      "description": "Set",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     },
     "204": {
      "description": "Set"
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "415": {
      "description": "Not JSON",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing or invalid (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "data"
        ],
        "properties": {
         "data": {
          "type": "string"
         }
        }
       }
      }
     }
    }
   },
   "delete": {
    "summary": "Remove a pipeline secret (admin)",
    "tags": [
     "pipelines"
    ],
    "operationId": "forgeDeleteSecret",
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){0,7}$"
      },
      "description": "A repository path of 1 to 8 segments"
     },
     {
      "name": "secret",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "204": {
      "description": "Removed"
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/repos/{name}/-/pipelines/{pipeline}": {
   "get": {
    "summary": "A stored pipeline configuration (admin)",
    "tags": [
     "pipelines"
    ],
    "operationId": "forgeGetPipeline",
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){0,7}$"
      },
      "description": "A repository path of 1 to 8 segments"
     },
     {
      "name": "pipeline",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "The configuration",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {},
     {
      "basic": []
     },
     {
      "token": []
     }
    ]
   },
   "delete": {
    "summary": "Delete a stored pipeline configuration (admin)",
    "tags": [
     "pipelines"
    ],
    "operationId": "forgeDeletePipeline",
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){0,7}$"
      },
      "description": "A repository path of 1 to 8 segments"
     },
     {
      "name": "pipeline",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "204": {
      "description": "Deleted"
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/repos/{name}/-/deployments/rollback": {
   "post": {
    "summary": "Roll an environment back (write)",
    "tags": [
     "deployments"
    ],
    "operationId": "forgeRollback",
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){0,7}$"
      },
      "description": "A repository path of 1 to 8 segments"
     }
    ],
    "responses": {
     "201": {
      "description": "The rollback",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Deployment"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "409": {
      "description": "Conflict",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "415": {
      "description": "Not JSON",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing or invalid (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "branch": {
          "type": "string"
         },
         "commit": {
          "type": "string"
         },
         "environment": {
          "type": "string"
         },
         "release": {
          "type": "string"
         }
        }
       }
      }
     }
    }
   }
  },
  "/repos/{name}/-/deployments/{id}/start": {
   "post": {
    "summary": "Approve a waiting deployment (write)",
    "tags": [
     "deployments"
    ],
    "operationId": "forgeStartDeployment",
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){0,7}$"
      },
      "description": "A repository path of 1 to 8 segments"
     },
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "integer",
       "minimum": 1
      }
     }
    ],
    "responses": {
     "200": {
      "description": "The deployment",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Deployment"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "409": {
      "description": "Conflict",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "415": {
      "description": "Not JSON",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/repos/{name}/-/deployments/{id}/cancel": {
   "post": {
    "summary": "Cancel a deployment (write)",
    "tags": [
     "deployments"
    ],
    "operationId": "forgeCancelDeployment",
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){0,7}$"
      },
      "description": "A repository path of 1 to 8 segments"
     },
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "integer",
       "minimum": 1
      }
     }
    ],
    "responses": {
     "200": {
      "description": "The deployment",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Deployment"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "409": {
      "description": "Conflict",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "415": {
      "description": "Not JSON",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/groups/{group}/-/permissions/{user}": {
   "put": {
    "summary": "Grant a level on a group (its admins)",
    "tags": [
     "repository"
    ],
    "operationId": "groupGrant",
    "parameters": [
     {
      "name": "group",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
      }
     },
     {
      "name": "user",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "The grant",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     },
     "400": {
      "description": "Bad request: a parameter or field is wrong (named)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No or wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No such thing (or not visible to you)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "415": {
      "description": "Not JSON",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "level"
        ],
        "properties": {
         "level": {
          "type": "string",
          "enum": [
           "none",
           "read",
           "write",
           "admin"
          ]
         }
        }
       }
      }
     }
    }
   }
  },
  "/openapi.json": {
   "get": {
    "summary": "This document",
    "tags": [
     "misc"
    ],
    "operationId": "openAPIDocument",
    "responses": {
     "200": {
      "description": "The OpenAPI document",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     }
    },
    "security": [
     {}
    ]
   }
  }
 },
 "components": {
  "schemas": {
   "Error": {
    "type": "object",
    "required": [
     "error"
    ],
    "properties": {
     "error": {
      "type": "string"
     }
    }
   },
   "ServerVersion": {
    "type": "object",
    "required": [
     "version"
    ],
    "properties": {
     "version": {
      "type": "string"
     }
    }
   },
   "User": {
    "type": "object",
    "required": [
     "id",
     "login",
     "username",
     "email",
     "is_admin",
     "active"
    ],
    "properties": {
     "id": {
      "type": "integer"
     },
     "login": {
      "type": "string"
     },
     "login_name": {
      "type": "string"
     },
     "username": {
      "type": "string"
     },
     "full_name": {
      "type": "string"
     },
     "email": {
      "type": "string"
     },
     "avatar_url": {
      "type": "string"
     },
     "is_admin": {
      "type": "boolean"
     },
     "created": {
      "type": "string"
     },
     "last_login": {
      "type": "string"
     },
     "active": {
      "type": "boolean"
     },
     "prohibit_login": {
      "type": "boolean"
     },
     "visibility": {
      "type": "string"
     },
     "name": {
      "type": "string"
     },
     "admin": {
      "type": "boolean"
     }
    }
   },
   "Permission": {
    "type": "object",
    "properties": {
     "admin": {
      "type": "boolean"
     },
     "push": {
      "type": "boolean"
     },
     "pull": {
      "type": "boolean"
     }
    }
   },
   "Repository": {
    "type": "object",
    "required": [
     "id",
     "name",
     "full_name",
     "private",
     "clone_url",
     "html_url",
     "default_branch",
     "empty",
     "permissions"
    ],
    "properties": {
     "id": {
      "type": "integer"
     },
     "owner": {
      "oneOf": [
       {
        "$ref": "#/components/schemas/User"
       },
       {
        "type": "null"
       }
      ]
     },
     "name": {
      "type": "string"
     },
     "full_name": {
      "type": "string"
     },
     "description": {
      "type": "string"
     },
     "empty": {
      "type": "boolean"
     },
     "private": {
      "type": "boolean"
     },
     "fork": {
      "type": "boolean"
     },
     "html_url": {
      "type": "string"
     },
     "clone_url": {
      "type": "string"
     },
     "url": {
      "type": "string"
     },
     "default_branch": {
      "type": "string"
     },
     "created_at": {
      "type": "string"
     },
     "updated_at": {
      "type": "string"
     },
     "permissions": {
      "$ref": "#/components/schemas/Permission"
     },
     "type": {
      "type": "string",
      "enum": [
       "git",
       "hg"
      ]
     },
     "permission": {
      "type": "string"
     },
     "pipeline_network": {
      "type": "string"
     }
    }
   },
   "SearchResults": {
    "type": "object",
    "required": [
     "ok",
     "data"
    ],
    "properties": {
     "ok": {
      "type": "boolean"
     },
     "data": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Repository"
      }
     }
    }
   },
   "CreateRepoOption": {
    "type": "object",
    "required": [
     "name"
    ],
    "properties": {
     "name": {
      "type": "string"
     },
     "description": {
      "type": "string"
     },
     "private": {
      "type": "boolean"
     },
     "auto_init": {
      "type": "boolean"
     },
     "default_branch": {
      "type": "string"
     },
     "readme": {
      "type": "string"
     }
    }
   },
   "ForgeCreateRepoOption": {
    "type": "object",
    "required": [
     "name"
    ],
    "properties": {
     "name": {
      "type": "string",
      "description": "A path of 1 to 8 segments"
     },
     "type": {
      "type": "string",
      "enum": [
       "git",
       "hg"
      ]
     },
     "private": {
      "type": "boolean"
     },
     "description": {
      "type": "string"
     }
    }
   },
   "EditRepoOption": {
    "type": "object",
    "properties": {
     "name": {
      "type": "string"
     },
     "description": {
      "type": "string"
     },
     "private": {
      "type": "boolean"
     }
    }
   },
   "CreateUserOption": {
    "type": "object",
    "required": [
     "username",
     "password"
    ],
    "properties": {
     "username": {
      "type": "string"
     },
     "email": {
      "type": "string"
     },
     "password": {
      "type": "string"
     },
     "admin": {
      "type": "boolean"
     },
     "must_change_password": {
      "type": "boolean"
     },
     "login_name": {
      "type": "string"
     }
    }
   },
   "ForgeCreateUserOption": {
    "type": "object",
    "required": [
     "name",
     "password"
    ],
    "properties": {
     "name": {
      "type": "string"
     },
     "email": {
      "type": "string"
     },
     "password": {
      "type": "string"
     },
     "admin": {
      "type": "boolean"
     }
    }
   },
   "EditUserOption": {
    "type": "object",
    "properties": {
     "email": {
      "type": "string"
     },
     "password": {
      "type": "string"
     },
     "admin": {
      "type": "boolean"
     },
     "active": {
      "type": "boolean"
     }
    }
   },
   "CreateAccessTokenOption": {
    "type": "object",
    "properties": {
     "name": {
      "type": "string"
     },
     "scope": {
      "type": "string",
      "enum": [
       "read",
       "write",
       "admin"
      ]
     },
     "scopes": {
      "type": "array",
      "items": {
       "type": "string"
      }
     }
    }
   },
   "AccessToken": {
    "type": "object",
    "required": [
     "id",
     "name",
     "sha1",
     "scope"
    ],
    "properties": {
     "id": {
      "type": "integer"
     },
     "name": {
      "type": "string"
     },
     "sha1": {
      "type": "string"
     },
     "token": {
      "type": "string"
     },
     "token_last_eight": {
      "type": "string"
     },
     "scope": {
      "type": "string"
     },
     "scopes": {
      "type": "array",
      "items": {
       "type": "string"
      }
     }
    }
   },
   "AccessTokenListItem": {
    "type": "object",
    "required": [
     "id",
     "name",
     "scope"
    ],
    "properties": {
     "id": {
      "type": "integer"
     },
     "name": {
      "type": "string"
     },
     "scope": {
      "type": "string"
     },
     "scopes": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "created_at": {},
     "last_used_at": {}
    }
   },
   "CommitUser": {
    "type": "object",
    "properties": {
     "name": {
      "type": "string"
     },
     "email": {
      "type": "string"
     },
     "date": {
      "type": "string"
     },
     "username": {
      "type": "string"
     }
    }
   },
   "CommitMeta": {
    "type": "object",
    "required": [
     "sha"
    ],
    "properties": {
     "url": {
      "type": "string"
     },
     "sha": {
      "type": "string"
     },
     "created": {
      "type": "string"
     }
    }
   },
   "Commit": {
    "type": "object",
    "required": [
     "sha",
     "commit",
     "parents"
    ],
    "properties": {
     "url": {
      "type": "string"
     },
     "sha": {
      "type": "string"
     },
     "created": {
      "type": "string"
     },
     "html_url": {
      "type": "string"
     },
     "commit": {
      "type": "object",
      "properties": {
       "url": {
        "type": "string"
       },
       "author": {
        "$ref": "#/components/schemas/CommitUser"
       },
       "committer": {
        "$ref": "#/components/schemas/CommitUser"
       },
       "message": {
        "type": "string"
       },
       "tree": {
        "$ref": "#/components/schemas/CommitMeta"
       }
      }
     },
     "author": {
      "oneOf": [
       {
        "$ref": "#/components/schemas/User"
       },
       {
        "type": "null"
       }
      ]
     },
     "committer": {
      "oneOf": [
       {
        "$ref": "#/components/schemas/User"
       },
       {
        "type": "null"
       }
      ]
     },
     "parents": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/CommitMeta"
      }
     },
     "files": {
      "type": "array",
      "items": {
       "type": "object",
       "properties": {
        "filename": {
         "type": "string"
        },
        "status": {
         "type": "string"
        }
       }
      }
     }
    }
   },
   "Branch": {
    "type": "object",
    "required": [
     "name",
     "commit"
    ],
    "properties": {
     "name": {
      "type": "string"
     },
     "commit": {
      "type": "object",
      "properties": {
       "id": {
        "type": "string"
       },
       "message": {
        "type": "string"
       },
       "url": {
        "type": "string"
       },
       "author": {
        "$ref": "#/components/schemas/CommitUser"
       },
       "committer": {
        "$ref": "#/components/schemas/CommitUser"
       },
       "timestamp": {
        "type": "string"
       }
      }
     },
     "protected": {
      "type": "boolean"
     },
     "user_can_push": {
      "type": "boolean"
     },
     "user_can_merge": {
      "type": "boolean"
     }
    }
   },
   "Tag": {
    "type": "object",
    "required": [
     "name",
     "id",
     "commit"
    ],
    "properties": {
     "name": {
      "type": "string"
     },
     "message": {
      "type": "string"
     },
     "id": {
      "type": "string"
     },
     "commit": {
      "$ref": "#/components/schemas/CommitMeta"
     },
     "zipball_url": {
      "type": "string"
     },
     "tarball_url": {
      "type": "string"
     }
    }
   },
   "ContentsResponse": {
    "type": "object",
    "required": [
     "name",
     "path",
     "sha",
     "type",
     "size"
    ],
    "properties": {
     "name": {
      "type": "string"
     },
     "path": {
      "type": "string"
     },
     "sha": {
      "type": "string"
     },
     "last_commit_sha": {
      "type": "string"
     },
     "type": {
      "type": "string",
      "enum": [
       "file",
       "dir",
       "symlink",
       "submodule"
      ]
     },
     "size": {
      "type": "integer"
     },
     "encoding": {
      "type": [
       "string",
       "null"
      ]
     },
     "content": {
      "type": [
       "string",
       "null"
      ]
     },
     "target": {
      "type": [
       "string",
       "null"
      ]
     },
     "url": {
      "type": "string"
     },
     "html_url": {
      "type": "string"
     },
     "git_url": {
      "type": "string"
     },
     "download_url": {
      "type": [
       "string",
       "null"
      ]
     },
     "submodule_git_url": {
      "type": [
       "string",
       "null"
      ]
     },
     "_links": {
      "type": "object"
     }
    }
   },
   "Hook": {
    "type": "object",
    "required": [
     "id",
     "type",
     "config",
     "events",
     "active"
    ],
    "properties": {
     "id": {
      "type": "integer"
     },
     "type": {
      "type": "string"
     },
     "config": {
      "type": "object",
      "additionalProperties": {
       "type": "string"
      }
     },
     "events": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "active": {
      "type": "boolean"
     },
     "created_at": {
      "type": "string"
     },
     "updated_at": {
      "type": "string"
     },
     "url": {
      "type": "string"
     },
     "signed": {
      "type": "boolean"
     }
    }
   },
   "CreateHookOption": {
    "type": "object",
    "required": [
     "type",
     "config"
    ],
    "properties": {
     "type": {
      "type": "string",
      "enum": [
       "gitea",
       "gogs",
       "forgejo"
      ]
     },
     "config": {
      "type": "object",
      "required": [
       "url"
      ],
      "properties": {
       "url": {
        "type": "string"
       },
       "content_type": {
        "type": "string"
       },
       "secret": {
        "type": "string"
       }
      },
      "additionalProperties": {
       "type": "string"
      }
     },
     "events": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "active": {
      "type": "boolean"
     }
    }
   },
   "EditHookOption": {
    "type": "object",
    "properties": {
     "config": {
      "type": "object",
      "additionalProperties": {
       "type": "string"
      }
     },
     "events": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "active": {
      "type": "boolean"
     }
    }
   },
   "CommitStatus": {
    "type": "object",
    "required": [
     "id",
     "status",
     "context",
     "created_at"
    ],
    "properties": {
     "id": {
      "type": "integer"
     },
     "status": {
      "type": "string",
      "enum": [
       "pending",
       "success",
       "error",
       "failure",
       "warning"
      ]
     },
     "target_url": {
      "type": "string"
     },
     "description": {
      "type": "string"
     },
     "url": {
      "type": "string"
     },
     "context": {
      "type": "string"
     },
     "creator": {
      "oneOf": [
       {
        "$ref": "#/components/schemas/User"
       },
       {
        "type": "null"
       }
      ]
     },
     "created_at": {
      "type": "string"
     },
     "updated_at": {
      "type": "string"
     }
    }
   },
   "CreateStatusOption": {
    "type": "object",
    "required": [
     "state"
    ],
    "properties": {
     "state": {
      "type": "string",
      "enum": [
       "pending",
       "success",
       "error",
       "failure",
       "warning"
      ]
     },
     "target_url": {
      "type": "string"
     },
     "description": {
      "type": "string"
     },
     "context": {
      "type": "string"
     }
    }
   },
   "CombinedStatus": {
    "type": "object",
    "required": [
     "state",
     "sha",
     "total_count",
     "statuses"
    ],
    "properties": {
     "state": {
      "type": "string",
      "enum": [
       "pending",
       "success",
       "error",
       "failure",
       "warning"
      ]
     },
     "sha": {
      "type": "string"
     },
     "total_count": {
      "type": "integer"
     },
     "statuses": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/CommitStatus"
      }
     },
     "repository": {
      "$ref": "#/components/schemas/Repository"
     },
     "commit_url": {
      "type": "string"
     },
     "url": {
      "type": "string"
     }
    }
   },
   "PRBranchInfo": {
    "type": "object",
    "required": [
     "ref",
     "sha"
    ],
    "properties": {
     "label": {
      "type": "string"
     },
     "ref": {
      "type": "string"
     },
     "sha": {
      "type": "string"
     },
     "repo_id": {
      "type": "integer"
     },
     "repo": {
      "oneOf": [
       {
        "$ref": "#/components/schemas/Repository"
       },
       {
        "type": "null"
       }
      ]
     }
    }
   },
   "PullRequest": {
    "type": "object",
    "required": [
     "id",
     "number",
     "title",
     "state",
     "merged",
     "base",
     "head"
    ],
    "properties": {
     "id": {
      "type": "integer"
     },
     "url": {
      "type": "string"
     },
     "number": {
      "type": "integer"
     },
     "user": {
      "oneOf": [
       {
        "$ref": "#/components/schemas/User"
       },
       {
        "type": "null"
       }
      ]
     },
     "title": {
      "type": "string"
     },
     "body": {
      "type": "string"
     },
     "state": {
      "type": "string",
      "enum": [
       "open",
       "closed"
      ]
     },
     "html_url": {
      "type": "string"
     },
     "diff_url": {
      "type": "string"
     },
     "patch_url": {
      "type": "string"
     },
     "mergeable": {
      "type": "boolean"
     },
     "merged": {
      "type": "boolean"
     },
     "merged_at": {
      "type": [
       "string",
       "null"
      ]
     },
     "merge_commit_sha": {
      "type": [
       "string",
       "null"
      ]
     },
     "merged_by": {
      "oneOf": [
       {
        "$ref": "#/components/schemas/User"
       },
       {
        "type": "null"
       }
      ]
     },
     "base": {
      "$ref": "#/components/schemas/PRBranchInfo"
     },
     "head": {
      "$ref": "#/components/schemas/PRBranchInfo"
     },
     "merge_base": {
      "type": "string"
     },
     "created_at": {
      "type": "string"
     },
     "updated_at": {
      "type": "string"
     },
     "closed_at": {
      "type": [
       "string",
       "null"
      ]
     },
     "comments": {
      "type": "integer"
     },
     "is_locked": {
      "type": "boolean"
     }
    }
   },
   "CreatePullRequestOption": {
    "type": "object",
    "required": [
     "head",
     "base",
     "title"
    ],
    "properties": {
     "head": {
      "type": "string"
     },
     "base": {
      "type": "string"
     },
     "title": {
      "type": "string"
     },
     "body": {
      "type": "string"
     }
    }
   },
   "EditPullRequestOption": {
    "type": "object",
    "properties": {
     "title": {
      "type": "string"
     },
     "body": {
      "type": "string"
     },
     "state": {
      "type": "string",
      "enum": [
       "open",
       "closed"
      ]
     }
    }
   },
   "MergePullRequestOption": {
    "type": "object",
    "required": [
     "Do"
    ],
    "properties": {
     "Do": {
      "type": "string",
      "enum": [
       "merge",
       "rebase",
       "squash",
       "fast-forward-only"
      ]
     },
     "MergeTitleField": {
      "type": "string"
     },
     "MergeMessageField": {
      "type": "string"
     },
     "delete_branch_after_merge": {
      "type": "boolean"
     }
    }
   },
   "ChangedFile": {
    "type": "object",
    "required": [
     "filename",
     "status"
    ],
    "properties": {
     "filename": {
      "type": "string"
     },
     "status": {
      "type": "string"
     },
     "html_url": {
      "type": "string"
     }
    }
   },
   "Comment": {
    "type": "object",
    "required": [
     "id",
     "body",
     "created_at"
    ],
    "properties": {
     "id": {
      "type": "integer"
     },
     "html_url": {
      "type": "string"
     },
     "pull_request_url": {
      "type": "string"
     },
     "user": {
      "oneOf": [
       {
        "$ref": "#/components/schemas/User"
       },
       {
        "type": "null"
       }
      ]
     },
     "body": {
      "type": "string"
     },
     "path": {
      "type": [
       "string",
       "null"
      ]
     },
     "line": {
      "type": [
       "integer",
       "null"
      ]
     },
     "commit_id": {
      "type": "string"
     },
     "outdated": {
      "type": "boolean"
     },
     "pull_request_review_id": {
      "type": [
       "integer",
       "null"
      ]
     },
     "created_at": {
      "type": "string"
     },
     "updated_at": {
      "type": "string"
     }
    }
   },
   "CreateIssueCommentOption": {
    "type": "object",
    "required": [
     "body"
    ],
    "properties": {
     "body": {
      "type": "string"
     }
    }
   },
   "PullReview": {
    "type": "object",
    "required": [
     "id",
     "state",
     "commit_id"
    ],
    "properties": {
     "id": {
      "type": "integer"
     },
     "user": {
      "oneOf": [
       {
        "$ref": "#/components/schemas/User"
       },
       {
        "type": "null"
       }
      ]
     },
     "body": {
      "type": "string"
     },
     "state": {
      "type": "string",
      "enum": [
       "APPROVED",
       "REQUEST_CHANGES",
       "COMMENT"
      ]
     },
     "commit_id": {
      "type": "string"
     },
     "stale": {
      "type": "boolean"
     },
     "dismissed": {
      "type": "boolean"
     },
     "official": {
      "type": "boolean"
     },
     "comments_count": {
      "type": "integer"
     },
     "submitted_at": {
      "type": "string"
     },
     "html_url": {
      "type": "string"
     },
     "pull_request_url": {
      "type": "string"
     }
    }
   },
   "CreatePullReviewOptions": {
    "type": "object",
    "properties": {
     "body": {
      "type": "string"
     },
     "event": {
      "type": "string",
      "enum": [
       "APPROVED",
       "APPROVE",
       "REQUEST_CHANGES",
       "COMMENT"
      ]
     },
     "commit_id": {
      "type": "string"
     },
     "comments": {
      "type": "array",
      "items": {
       "type": "object",
       "properties": {
        "path": {
         "type": "string"
        },
        "body": {
         "type": "string"
        },
        "new_position": {
         "type": "integer"
        }
       }
      }
     }
    }
   },
   "PullReviewRequestOptions": {
    "type": "object",
    "properties": {
     "reviewers": {
      "type": "array",
      "items": {
       "type": "string"
      }
     }
    }
   },
   "BranchProtection": {
    "type": "object",
    "required": [
     "rule_name"
    ],
    "properties": {
     "branch_name": {
      "type": "string"
     },
     "rule_name": {
      "type": "string"
     },
     "enable_push": {
      "type": "boolean"
     },
     "enable_push_whitelist": {
      "type": "boolean"
     },
     "push_whitelist_usernames": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "enable_status_check": {
      "type": "boolean"
     },
     "status_check_contexts": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "required_approvals": {
      "type": "integer",
      "minimum": 0,
      "maximum": 50
     },
     "dismiss_stale_approvals": {
      "type": "boolean"
     },
     "block_on_rejected_reviews": {
      "type": "boolean"
     }
    }
   },
   "CreateBranchProtectionOption": {
    "type": "object",
    "properties": {
     "branch_name": {
      "type": "string"
     },
     "rule_name": {
      "type": "string"
     },
     "enable_push": {
      "type": "boolean"
     },
     "enable_push_whitelist": {
      "type": "boolean"
     },
     "push_whitelist_usernames": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "enable_status_check": {
      "type": "boolean"
     },
     "status_check_contexts": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "required_approvals": {
      "type": "integer",
      "minimum": 0,
      "maximum": 50
     },
     "dismiss_stale_approvals": {
      "type": "boolean"
     },
     "block_on_rejected_reviews": {
      "type": "boolean"
     }
    }
   },
   "EditBranchProtectionOption": {
    "type": "object",
    "properties": {
     "enable_push": {
      "type": "boolean"
     },
     "enable_push_whitelist": {
      "type": "boolean"
     },
     "push_whitelist_usernames": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "enable_status_check": {
      "type": "boolean"
     },
     "status_check_contexts": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "required_approvals": {
      "type": "integer",
      "minimum": 0,
      "maximum": 50
     },
     "dismiss_stale_approvals": {
      "type": "boolean"
     },
     "block_on_rejected_reviews": {
      "type": "boolean"
     }
    }
   },
   "Reference": {
    "type": "object",
    "required": [
     "name",
     "commit"
    ],
    "properties": {
     "name": {
      "type": "string"
     },
     "ref": {
      "type": "string"
     },
     "commit": {
      "type": "string"
     }
    }
   },
   "ForgeCommit": {
    "type": "object",
    "properties": {
     "id": {
      "type": "string"
     },
     "message": {
      "type": "string"
     }
    }
   },
   "Run": {
    "type": "object",
    "required": [
     "id",
     "configuration",
     "status",
     "trigger",
     "created_at"
    ],
    "properties": {
     "id": {
      "type": "integer"
     },
     "number": {
      "type": [
       "integer",
       "null"
      ]
     },
     "configuration": {
      "type": "string"
     },
     "status": {
      "type": "string"
     },
     "trigger": {
      "type": "string"
     },
     "commit": {
      "type": [
       "string",
       "null"
      ]
     },
     "branch": {
      "type": [
       "string",
       "null"
      ]
     },
     "reason": {
      "type": [
       "string",
       "null"
      ]
     },
     "created_at": {
      "type": "number"
     },
     "steps": {
      "type": "array",
      "items": {
       "type": "object",
       "properties": {
        "sequence": {
         "type": "integer"
        },
        "name": {
         "type": "string"
        },
        "task": {
         "type": "string"
        },
        "state": {
         "type": "string"
        },
        "attempts": {
         "type": "integer"
        },
        "result": {},
        "error": {
         "type": [
          "string",
          "null"
         ]
        }
       }
      }
     }
    }
   },
   "LogPart": {
    "type": "object",
    "required": [
     "text",
     "next",
     "done"
    ],
    "properties": {
     "text": {
      "type": "string"
     },
     "next": {
      "type": "integer"
     },
     "state": {
      "type": "string"
     },
     "done": {
      "type": "boolean"
     }
    }
   },
   "Deployment": {
    "type": "object",
    "required": [
     "id",
     "branch",
     "commit",
     "environment",
     "state",
     "kind"
    ],
    "properties": {
     "id": {
      "type": "integer"
     },
     "branch": {
      "type": "string"
     },
     "commit": {
      "type": "string"
     },
     "environment": {
      "type": "string"
     },
     "state": {
      "type": "string"
     },
     "attempt": {
      "type": "integer"
     },
     "requested_by": {
      "type": "string"
     },
     "release": {
      "type": [
       "string",
       "null"
      ]
     },
     "reason": {
      "type": [
       "string",
       "null"
      ]
     },
     "created_at": {
      "type": "number"
     },
     "kind": {
      "type": "string",
      "enum": [
       "deploy",
       "rollback"
      ]
     },
     "rollback_to": {
      "type": [
       "string",
       "null"
      ]
     }
    }
   },
   "DeploySetup": {
    "type": "object",
    "required": [
     "branches",
     "environments"
    ],
    "properties": {
     "branches": {
      "type": "array",
      "items": {
       "type": "object",
       "required": [
        "name",
        "environment",
        "script"
       ],
       "properties": {
        "name": {
         "type": "string"
        },
        "mode": {
         "type": "string",
         "enum": [
          "auto",
          "manual"
         ]
        },
        "environment": {
         "type": "string"
        },
        "script": {
         "type": "string"
        }
       }
      }
     },
     "environments": {
      "type": "array",
      "items": {
       "type": "object",
       "required": [
        "name"
       ],
       "properties": {
        "name": {
         "type": "string"
        },
        "variables": {
         "type": "object",
         "additionalProperties": {
          "type": "string"
         }
        },
        "secrets": {
         "type": [
          "object",
          "null"
         ],
         "additionalProperties": {
          "type": "string"
         }
        },
        "keep_releases": {
         "type": [
          "integer",
          "null"
         ],
         "minimum": 1,
         "maximum": 50
        }
       }
      }
     }
    }
   },
   "Release": {
    "type": "object",
    "required": [
     "release",
     "commit",
     "current"
    ],
    "properties": {
     "release": {
      "type": "string"
     },
     "commit": {
      "type": "string"
     },
     "branch": {
      "type": "string"
     },
     "deployment": {
      "type": "integer"
     },
     "current": {
      "type": "boolean"
     },
     "finished_at": {
      "type": [
       "number",
       "null"
      ]
     }
    }
   },
   "Group": {
    "type": "object",
    "required": [
     "path"
    ],
    "properties": {
     "path": {
      "type": "string"
     },
     "description": {
      "type": "string"
     }
    }
   }
  },
  "securitySchemes": {
   "basic": {
    "type": "http",
    "scheme": "basic"
   },
   "token": {
    "type": "http",
    "scheme": "bearer",
    "description": "An API token (also as `Authorization: token T`)"
   }
  }
 }
}
"""#
}
