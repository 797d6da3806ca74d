@echo off
rem pgdock: the pgdock ops command line (lib\pgdock-cli.jar of this distribution), run with the java of JAVA_HOME,
rem else the java on PATH (Java 17 or later). JAVA_OPTS is passed to the JVM, the arguments to pgdock.
setlocal
set "PGDOCK_HOME=%~dp0.."
set "JAVA_EXE=java"
if not defined JAVA_HOME goto run
set "JAVA_EXE=%JAVA_HOME%\bin\java.exe"
if exist "%JAVA_EXE%" goto run
echo pgdock: JAVA_HOME is set to "%JAVA_HOME%", which has no bin\java.exe; set it to a Java 17 or later installation, or unset it to use the java on PATH 1>&2
exit /b 1
:run
"%JAVA_EXE%" %JAVA_OPTS% -jar "%PGDOCK_HOME%\lib\pgdock-cli.jar" %*
exit /b %ERRORLEVEL%
