# web/web.cmake (included from settle/CMakeLists.txt): the pages of `assay api serve`.
# web/src/*.js is bundled with esbuild (from node_modules, as package-lock.json pins it,
# with @noble/curves, @noble/hashes and uPlot inside), then every asset is embedded in
# the program as settle_web_assets[] (settle/web.h) by web/embed.cmake. Nothing is loaded
# from another host at run time.
set(ASSAY_ESBUILD ${CMAKE_SOURCE_DIR}/node_modules/.bin/esbuild)
if(NOT EXISTS ${ASSAY_ESBUILD})
  message(FATAL_ERROR "node_modules/.bin/esbuild is missing: run deploy/install.sh (npm ci)")
endif()
set(web_out ${CMAKE_BINARY_DIR}/web)
file(GLOB web_js CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/web/src/*.js)
add_custom_command(
  OUTPUT ${web_out}/app.js
  COMMAND ${ASSAY_ESBUILD} ${CMAKE_SOURCE_DIR}/web/src/main.js --bundle --format=esm
          --target=es2020 --minify --log-level=warning --outfile=${web_out}/app.js
  DEPENDS ${web_js} ${CMAKE_SOURCE_DIR}/package-lock.json
  COMMENT "Bundling the web pages' JavaScript (esbuild)" VERBATIM)
# path on the server = file; order does not matter.
set(web_assets
  "/assets/index.html=${CMAKE_SOURCE_DIR}/web/index.html"
  "/assets/style.css=${CMAKE_SOURCE_DIR}/web/style.css"
  "/assets/favicon.svg=${CMAKE_SOURCE_DIR}/web/favicon.svg"
  "/assets/uplot.css=${CMAKE_SOURCE_DIR}/node_modules/uplot/dist/uPlot.min.css"
  "/assets/app.js=${web_out}/app.js")
set(web_deps "")
foreach(a ${web_assets})
  string(REGEX REPLACE "^[^=]*=" "" f "${a}")
  list(APPEND web_deps ${f})
endforeach()
string(REPLACE ";" "|" web_assets_arg "${web_assets}")
add_custom_command(
  OUTPUT ${web_out}/web_assets.c
  COMMAND ${CMAKE_COMMAND} "-DASSETS=${web_assets_arg}" -DOUT=${web_out}/web_assets.c
          -P ${CMAKE_SOURCE_DIR}/web/embed.cmake
  DEPENDS ${web_deps} ${CMAKE_SOURCE_DIR}/web/embed.cmake
  COMMENT "Embedding the web pages" VERBATIM)
target_sources(assay_settle PRIVATE ${web_out}/web_assets.c)
