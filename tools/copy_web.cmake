# Copies the web map (web/map.*) and MapLibre GL JS (web/node_modules, from tools/web.sh)
# into the build's web/ folder, where hotref serve reads them. Run at every build
# (CMakeLists.txt, target hotref_web), so that MapLibre installed after the first
# configure is picked up too. -DSRC=<repository>/web -DOUT=<build>/web
file(MAKE_DIRECTORY "${OUT}")
foreach(f map.html map.js map.css)
  file(COPY_FILE "${SRC}/${f}" "${OUT}/${f}" ONLY_IF_DIFFERENT)
endforeach()
set(dist "${SRC}/node_modules/maplibre-gl/dist")
if(EXISTS "${dist}/maplibre-gl.js" AND EXISTS "${dist}/maplibre-gl.css")
  file(COPY_FILE "${dist}/maplibre-gl.js" "${OUT}/maplibre-gl.js" ONLY_IF_DIFFERENT)
  file(COPY_FILE "${dist}/maplibre-gl.css" "${OUT}/maplibre-gl.css" ONLY_IF_DIFFERENT)
else()
  message(WARNING "MapLibre GL JS is not installed (web/node_modules): run tools/setup.sh (or tools/web.sh); "
                  "until then hotref serve answers /map with 503")
endif()
