// flow.js: the C session manager from JScript, late bound through IDispatch and the registered type
// library (run by cscript: cscript //nologo flow.js locked|open). The same flow as flow.vbs, whose
// header says what the modes are and why scripts cannot pass the lock; JScript reports the raw HRESULT
// of a failing member (e.number, a signed 32-bit value).

var E_FAIL = 0x80004005, E_INVALIDARG = 0x80070057, E_NOTIMPL = 0x80004001;  // Windows' own codes
var CANNOT_CREATE = 0x800A01AD;  // JScript: "Automation server can't create object"
var APP_GUID = "{6D7367C1-0005-4C69-656E-747300000005}";
var OTHER_GUID = "{6D7367C1-0006-4C69-656E-747300000006}";
var APP_NAME = "msgrspec JScript client";
var APP_URL = "http://msgrspec.example/jscript";
var APP_PATH = "C:\\Program Files\\msgrspec\\jscript-client.exe";
// each mode makes a known number of checks: a part skipped by an error outside a check is a failure too
var PLANNED = {locked: 9, open: 30};

var checks = 0, failures = 0, codes = {};

function echo(text) { WScript.Echo(text); }
function hex(n) { return "0x" + (n >>> 0).toString(16).toUpperCase(); }
function report(what, detail) { failures++; echo("FAIL " + what + ": " + detail); }

// Run `action`; the HRESULT it raised (0 for none) against the one expected. Returns what it returned.
function attempt(what, expected, action) {
    var got = 0, value;
    try { value = action(); } catch (e) { got = e.number; }
    checks++;
    if ((got >>> 0) !== (expected >>> 0)) report(what, "error " + hex(got) + ", expected " + hex(expected));
    return value;
}

function expectValue(what, got, expected) {
    checks++;
    if (got !== expected) report(what, "'" + got + "', expected '" + expected + "'");
}

function code(name) {
    if (!(name in codes)) { report("codes.txt", "has no " + name); return 1; }
    return codes[name];
}

function readCodes() {
    var fso = new ActiveXObject("Scripting.FileSystemObject");
    var file = fso.OpenTextFile(fso.BuildPath(fso.GetParentFolderName(WScript.ScriptFullName), "codes.txt"), 1);
    while (!file.AtEndOfStream) {
        var parts = file.ReadLine().split("=");
        if (parts.length === 2) codes[parts[0]] = parseInt(parts[1], parts[1].indexOf("0x") === 0 ? 16 : 10);
    }
    file.Close();
}

function runLocked() {
    var manager = attempt("new ActiveXObject(Msgrspec.MsgrSessionManager)", 0, function () {
        return new ActiveXObject("Msgrspec.MsgrSessionManager");
    });
    var messengerPriv = attempt("new ActiveXObject(Msgrspec.MessengerPriv)", 0, function () {
        return new ActiveXObject("Msgrspec.MessengerPriv");
    });
    attempt("new ActiveXObject of the class that is not creatable", CANNOT_CREATE, function () {
        return new ActiveXObject("Msgrspec.MsgrSession");
    });
    attempt("CreateSession while locked", code("MSGR_E_API_LOCKED"), function () { return manager.CreateSession(); });
    attempt("RegisterApplication while locked", code("MSGR_E_API_LOCKED"), function () {
        manager.RegisterApplication(APP_GUID, APP_NAME, APP_URL, APP_PATH, 0);
    });
    attempt("UnRegisterApplication while locked", code("MSGR_E_API_LOCKED"), function () {
        manager.UnRegisterApplication(APP_GUID);
    });
    attempt("AddContact while locked", code("MSGR_E_API_LOCKED"), function () {
        messengerPriv.AddContact("bob@msgrspec.example", null);
    });
    attempt("GetLaunchingSession while locked", code("MSGR_E_API_LOCKED"), function () {
        return manager.GetLaunchingSession(1234);
    });
    attempt("Applications while locked", code("MSGR_E_API_LOCKED"), function () { return manager.Applications; });
    try { WScript.ConnectObject(manager, "Manager_"); } catch (e) {
        echo("NOTE WScript.ConnectObject: error " + hex(e.number) + " (the host cannot sink events)");
    }
}

function runOpen() {
    var manager = attempt("new ActiveXObject(Msgrspec.MsgrSessionManager)", 0, function () {
        return new ActiveXObject("Msgrspec.MsgrSessionManager");
    });
    attempt("RegisterApplication", 0, function () {
        manager.RegisterApplication(APP_GUID, APP_NAME, APP_URL, APP_PATH, 0);
    });
    attempt("RegisterApplication again", code("SR_APP_ALREADY_REGISTERED"), function () {
        manager.RegisterApplication(APP_GUID, APP_NAME, APP_URL, APP_PATH, 0);
    });
    attempt("RegisterApplication with flags", E_INVALIDARG, function () {
        manager.RegisterApplication(OTHER_GUID, APP_NAME, APP_URL, APP_PATH, 1);
    });
    attempt("RegisterApplication with a relative path", E_FAIL, function () {
        manager.RegisterApplication(OTHER_GUID, APP_NAME, APP_URL, "jscript-client.exe", 0);
    });
    var session = attempt("CreateSession", 0, function () { return manager.CreateSession(); });
    expectValue("State of a new session", attempt("get State", 0, function () { return session.State; }),
                code("SS_READY"));
    expectValue("Flags of a new session", attempt("get Flags", 0, function () { return session.Flags; }),
                code("SF_INVITER"));
    attempt("get Application before put", code("SR_APP_NOT_SPECIFIED"), function () { return session.Application; });
    attempt("put Application of an unregistered GUID", code("SR_APP_NOT_REGISTERED"), function () {
        session.Application = OTHER_GUID;
    });
    attempt("put Application", 0, function () { session.Application = APP_GUID; });
    expectValue("Application", attempt("get Application", 0, function () { return session.Application; }), APP_GUID);
    expectValue("ApplicationName", attempt("get ApplicationName", 0, function () { return session.ApplicationName; }),
                APP_NAME);
    expectValue("ApplicationURL", attempt("get ApplicationURL", 0, function () { return session.ApplicationURL; }),
                APP_URL);
    var id = attempt("get SessionID", 0, function () { return session.SessionID; });
    expectValue("SessionID length", id && id.length, 38);
    expectValue("RemoteAddress unconnected", attempt("get RemoteAddress (S_FALSE is success)", 0, function () {
        return session.RemoteAddress;
    }), "");
    attempt("get User before an invitation", code("SR_NO_USER_INVITED"), function () { return session.User; });
    attempt("Accept on the inviter's session", code("SR_SESSION_STATE_INVALID"), function () { session.Accept(""); });
    attempt("Decline on the inviter's session", code("SR_NOT_INVITEE"), function () { session.Decline(""); });
    attempt("GetLaunchingSession", E_FAIL, function () { return manager.GetLaunchingSession(1234); });
    attempt("Applications", E_NOTIMPL, function () { return manager.Applications; });
    attempt("UnRegisterApplication", 0, function () { manager.UnRegisterApplication(APP_GUID); });
    attempt("UnRegisterApplication again", code("SR_APP_NOT_REGISTERED"), function () {
        manager.UnRegisterApplication(APP_GUID);
    });
}

var mode = WScript.Arguments.length === 1 ? WScript.Arguments.Item(0) : "";
attempt("reading codes.txt", 0, readCodes);
if (mode === "locked") runLocked();
else if (mode === "open") runOpen();
else report("arguments", "usage: cscript flow.js locked|open");
if (mode in PLANNED) expectValue("checks made", checks, PLANNED[mode] + 1);
if (failures === 0) {
    echo("flow.js: PASS (" + mode + "): " + checks + " checks");
    WScript.Quit(0);
}
echo("flow.js: FAIL (" + mode + "): " + checks + " checks, " + failures + " failed");
WScript.Quit(1);
