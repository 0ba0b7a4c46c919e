// The map page: markers from /map/markers/ (a page at a time), clustered;
// a click on a marker or a cluster opens a popup of its items' thumbnails.
(function () {
  "use strict";
  var el = document.getElementById("map");
  var statusEl = document.getElementById("map-status");
  if (!el || !window.L) { return; }
  var POPUP_LIMIT = 30;

  // maxZoom on the map itself: markercluster needs it when there is no tile layer.
  var map = L.map(el, { worldCopyJump: true, maxZoom: 19 }).setView([20, 0], 2);
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, {
      maxZoom: 19,
      attribution: el.dataset.tileAttribution
    }).addTo(map);
  }
  var clusters = L.markerClusterGroup({ zoomToBoundsOnClick: false, chunkedLoading: true });
  map.addLayer(clusters);

  function thumbs(markers) {
    var box = document.createElement("div");
    box.className = "map-popup";
    var count = document.createElement("p");
    count.textContent = markers.length === 1 ? "1 item" : markers.length + " items";
    box.appendChild(count);
    var list = document.createElement("ul");
    list.className = "map-popup-items";
    markers.slice(0, POPUP_LIMIT).forEach(function (marker) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = marker.options.itemUrl;
      a.className = "map-popup-item";
      var img = document.createElement("img");
      img.src = marker.options.thumbUrl;
      img.alt = "";
      img.loading = "lazy";
      a.appendChild(img);
      li.appendChild(a);
      list.appendChild(li);
    });
    box.appendChild(list);
    return box;
  }

  clusters.on("click", function (event) {
    L.popup().setLatLng(event.layer.getLatLng()).setContent(thumbs([event.layer])).openOn(map);
  });
  clusters.on("clusterclick", function (event) {
    var markers = event.layer.getAllChildMarkers();
    L.popup().setLatLng(event.layer.getLatLng()).setContent(thumbs(markers)).openOn(map);
  });

  var total = 0;
  function load(after) {
    var url = el.dataset.markersUrl + (after ? "?after=" + after : "");
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        var markers = data.markers.map(function (m) {
          return L.marker([m[1], m[2]], { itemId: m[0], itemUrl: m[3], thumbUrl: m[4], title: "Item " + m[0] });
        });
        clusters.addLayers(markers);
        total += markers.length;
        if (data.next_after) { return load(data.next_after); }
        return null;
      });
  }

  load(0).then(function () {
    if (total) {
      map.fitBounds(clusters.getBounds(), { padding: [30, 30], maxZoom: 14 });
      statusEl.textContent = total === 1 ? "1 place." : total + " items with a place.";
    } else {
      statusEl.textContent = "No photo or video has a location yet.";
    }
    el.dataset.loaded = String(total);
  }).catch(function (error) {
    statusEl.textContent = "The places could not be loaded (" + error.message + ").";
  });
})();
