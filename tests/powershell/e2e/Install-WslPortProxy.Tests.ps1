# Behaviour of the generated Install-/Uninstall-WslPortProxy.ps1 on a simulated Windows.

BeforeAll {
    . (Join-Path $PSScriptRoot '../sim/SimulatedWindows.ps1')
    . (Join-Path $PSScriptRoot '../TestHelpers.ps1')
    $script:BootBundle = New-TestBundle -Inventory @'
servers:
  - name: WEB-01
    run_as: CORP\svc-podman
    start: boot
    wait_for_wsl: 2s
    ports: [80, "8443:443"]
'@
    $script:LogonBundle = New-TestBundle -Inventory @'
servers:
  - name: WEB-01
    start: logon
    wait_for_wsl: 2s
    ports: [80]
'@

    function Invoke-BundleScript {
        <# Runs a generated script unmodified; returns its exit code, the messages of its errors and warnings, and its output objects. #>
        param([string] $Dist, [string] $Name, [hashtable] $Parameters = @{})
        $global:LASTEXITCODE = 0
        $output = & (Join-Path $Dist "WEB-01/$Name") @Parameters 2>&1 3>&1 6>$null
        $errors = @($output | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] } | ForEach-Object { $_.Exception.Message })
        $warnings = @($output | Where-Object { $_ -is [System.Management.Automation.WarningRecord] } | ForEach-Object { $_.Message })
        $results = @($output | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] -and $_ -isnot [System.Management.Automation.WarningRecord] })
        return [pscustomobject]@{ ExitCode = $LASTEXITCODE; Errors = $errors; Warnings = $warnings; Results = $results }
    }

    function New-TestCredential {
        param([string] $User = 'CORP\svc-podman')
        $secure = ConvertTo-SecureString -String 'Corr3ct-Horse!' -AsPlainText -Force
        return New-Object -TypeName System.Management.Automation.PSCredential -ArgumentList $User, $secure
    }

    $script:TaskKey = '\WslPortProxy\WslPortProxy'
}

Describe 'Install-WslPortProxy.ps1' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    Context 'Given an elevated admin on WEB-01 and a boot-time bundle' {
        It 'installs the scripts, locks the folder, registers the task with the password and runs it once' {
            Write-SimState 'credential.json' @{ Password = 'Corr3ct-Horse!' }   # what the admin types at the prompt

            $result = Invoke-BundleScript -Dist $script:BootBundle -Name 'Install-WslPortProxy.ps1'

            $result.ExitCode | Should -Be 0
            $result.Errors | Should -BeNullOrEmpty
            $installed = Join-Path $global:WslppSim.ProgramData 'WslPortProxy'
            $bundle = Join-Path $script:BootBundle 'WEB-01'
            $expected = @(Get-ChildItem -LiteralPath $bundle -Recurse -File | ForEach-Object { $_.FullName.Substring($bundle.Length + 1) } |
                    Where-Object { $_ -notin 'Install-WslPortProxy.ps1', 'WslPortProxy.xml', 'manifest.json' } | Sort-Object)
            $expected | Should -Contain 'WslPortProxy.Settings.psd1'
            $expected | Should -Contain (Join-Path 'WslPortProxy' 'WslPortProxy.psm1')
            foreach ($file in $expected) {
                (Get-FileHash (Join-Path $installed $file)).Hash | Should -Be (Get-FileHash (Join-Path $bundle $file)).Hash -Because $file
            }
            @(Get-SimCall -Program 'cmdlet' | Where-Object { $_ -like 'cmdlet Get-Credential *' }) | Should -Be @('cmdlet Get-Credential CORP\svc-podman')
            $task = (Read-SimState 'tasks.json')[$script:TaskKey]
            $task.User | Should -Be 'CORP\svc-podman'
            $task.PasswordGiven | Should -BeTrue
            $task.State | Should -Be 'Running'   # the watcher keeps running
            $task.LastTaskResult | Should -Be 267009
            (Get-Content -Raw (Join-Path $installed 'last-run.json') | ConvertFrom-Json).exitCode | Should -Be 0
            (Read-SimState 'eventsources.json')['WslPortProxy'] | Should -Be 'Application'
            ([xml] $task.Xml).Task.Principals.Principal.LogonType | Should -Be 'Password'
            (Get-SimPortProxy)['0.0.0.0/8443'] | Should -Be '172.28.241.140/443'
        }

        It 'lets only Administrators and SYSTEM write the install folder; the task account may read and execute' {
            $result = Invoke-BundleScript -Dist $script:BootBundle -Name 'Install-WslPortProxy.ps1' -Parameters @{ Credential = (New-TestCredential) }
            $result.ExitCode | Should -Be 0
            $installed = Join-Path $global:WslppSim.ProgramData 'WslPortProxy'
            # The folder is made inside a staging folder locked first, so it is locked from its first moment.
            $calls = Read-SimState 'icacls.json'
            $calls | Should -HaveCount 6
            $stage = $calls[0][0]
            $stage | Should -BeLike "$installed.new-*"
            $calls[0] | Should -Be @($stage, '/setowner', '*S-1-5-32-544', '/T', '/C', '/L', '/Q')
            $calls[1] | Should -Be @($stage, '/reset', '/T', '/C', '/L', '/Q')
            $calls[2] | Should -Be @($stage, '/inheritance:r', '/grant:r', '*S-1-5-32-544:(OI)(CI)F', '*S-1-5-18:(OI)(CI)F', 'CORP\svc-podman:(OI)(CI)RX', '/L', '/Q')
            $calls[3] | Should -Be @($installed, '/inheritance:r', '/grant:r', '*S-1-5-32-544:(OI)(CI)F', '*S-1-5-18:(OI)(CI)F', 'CORP\svc-podman:(OI)(CI)RX', '/L', '/Q')
            Test-Path -LiteralPath $stage | Should -BeFalse
            (Get-Acl -LiteralPath $installed).Sddl | Should -BeExactly 'O:BAG:SYD:PAI(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICI;0x1200a9;;;S-1-5-21-1004336348-1177238915-682003330-1001)'
            # Its locks folder, after the reset: Administrators and SYSTEM alone, not even the task account may read.
            $locks = Join-Path $installed 'locks'
            $calls[4] | Should -Be @($locks, '/setowner', '*S-1-5-32-544', '/L', '/Q')
            $calls[5] | Should -Be @($locks, '/inheritance:r', '/grant:r', '*S-1-5-32-544:(OI)(CI)F', '*S-1-5-18:(OI)(CI)F', '/L', '/Q')
            (Get-Acl -LiteralPath $locks).Sddl | Should -BeExactly 'O:BAG:SYD:PAI(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)'
        }

        It 'gives the password to no command as a parameter (what module logging records): only to Task Scheduler''s COM registration' {
            # PowerShell module logging (event 4103, about_Logging_Windows) records every command's parameter
            # values; this trace of every parameter binding in this process records them too.
            $credential = New-TestCredential
            $trace = Join-Path $TestDrive 'binding.log'
            Trace-Command -Name ParameterBinding -FilePath $trace -Expression {
                $script:Run = Invoke-BundleScript -Dist $script:BootBundle -Name 'Install-WslPortProxy.ps1' -Parameters @{ Credential = $credential }
            }
            $script:Run.ExitCode | Should -Be 0 -Because ($script:Run.Errors -join ' ')
            $text = [System.IO.File]::ReadAllText($trace)
            $text | Should -Match 'BIND arg \[System.Management.Automation.PSCredential\] to parameter \[Credential\]' -Because 'the trace records bindings'
            $text | Should -Not -Match 'Corr3ct-Horse'
            $task = (Read-SimState 'tasks.json')[$script:TaskKey]
            $task.PasswordGiven | Should -BeTrue
            $task.PasswordSha256 | Should -Be 'ED37380A7A54B51E9CA828BA72B899E17CCDDE2B7749068FC6FBAA21E00982BA' -Because 'Task Scheduler got it'
            $task.LogonType | Should -Be 1   # TASK_LOGON_PASSWORD
        }

        It 'writes the password nowhere: not in the bundle, the install folder, its logs or any call' {
            $result = Invoke-BundleScript -Dist $script:BootBundle -Name 'Install-WslPortProxy.ps1' -Parameters @{ Credential = (New-TestCredential); Verbose = $true }
            $result.ExitCode | Should -Be 0
            (Read-SimState 'tasks.json')[$script:TaskKey].PasswordGiven | Should -BeTrue
            $places = @(Get-ChildItem -LiteralPath $script:BootBundle, $global:WslppSim.ProgramData -Recurse -File) +
                @(Get-Item -LiteralPath (Join-Path $global:WslppSim.State 'calls.log'), (Join-Path $global:WslppSim.State 'icacls.json'))
            $places.Count | Should -BeGreaterThan 8
            foreach ($file in $places) {
                if ($file.Extension -eq '.lock') {   # the watcher holds it open (FileShare.None); nothing is written to it
                    $file.Length | Should -Be 0
                    continue
                }
                $bytes = [System.IO.File]::ReadAllBytes($file.FullName)
                foreach ($encoding in [System.Text.Encoding]::UTF8, [System.Text.Encoding]::Unicode) {
                    $encoding.GetString($bytes) | Should -Not -Match 'Corr3ct-Horse' -Because $file.FullName
                }
            }
        }

        It 'upgrades in place when run again' {
            $credential = New-TestCredential
            (Invoke-BundleScript -Dist $script:BootBundle -Name 'Install-WslPortProxy.ps1' -Parameters @{ Credential = $credential }).ExitCode | Should -Be 0
            Clear-SimCall
            $result = Invoke-BundleScript -Dist $script:BootBundle -Name 'Install-WslPortProxy.ps1' -Parameters @{ Credential = $credential }
            $result.ExitCode | Should -Be 0
            @((Read-SimState 'tasks.json').Keys) | Should -Be @($script:TaskKey)
            Get-SimNetshCommand | Should -BeNullOrEmpty   # no portproxy rule written: every one was right
            # The folder it made is kept, with the watcher's own link to the WSL package's wsl.exe in it.
            $result.Warnings | Should -BeNullOrEmpty
            @(Get-ChildItem -LiteralPath $global:WslppSim.ProgramData -Force | ForEach-Object Name) | Should -Be @('WslPortProxy')
        }

        It 'refuses a credential for another account (exit 5) and registers nothing' {
            $result = Invoke-BundleScript -Dist $script:BootBundle -Name 'Install-WslPortProxy.ps1' -Parameters @{ Credential = (New-TestCredential -User 'CORP\someone') }
            $result.ExitCode | Should -Be 5
            $result.Errors | Should -Be @('Install-WslPortProxy.ps1 failed (exit code 5): The credential is for CORP\someone, but the task runs as CORP\svc-podman.')
            (Read-SimState 'tasks.json').Count | Should -Be 0
        }
    }

    Context 'Given an install folder someone planted before the installer ran' {
        It 'Given a symbolic link (or junction) in its place, moves the link aside and installs into a new folder: nothing lands in the target' {
            $target = Join-Path $global:WslppSim.Root 'elsewhere'
            New-Item -ItemType Directory -Path $target | Out-Null
            $installed = Join-Path $global:WslppSim.ProgramData 'WslPortProxy'
            New-Item -ItemType SymbolicLink -Path $installed -Target $target | Out-Null

            $result = Invoke-BundleScript -Dist $script:BootBundle -Name 'Install-WslPortProxy.ps1' -Parameters @{ Credential = (New-TestCredential) }

            $result.ExitCode | Should -Be 0
            @(Get-ChildItem -LiteralPath $target -Force) | Should -HaveCount 0
            (Get-Item -LiteralPath $installed -Force).LinkType | Should -BeNullOrEmpty
            Test-Path -LiteralPath (Join-Path $installed 'WslPortProxy/WslPortProxy.psm1') | Should -BeTrue
            $aside = @(Get-ChildItem -LiteralPath $global:WslppSim.ProgramData -Force | Where-Object { $_.Name -like 'WslPortProxy.planted-*' })
            $aside | Should -HaveCount 1
            $aside[0].LinkType | Should -Be 'SymbolicLink'
            @((Read-SimState 'acl.json').Keys) | Should -Not -Contain $target   # icacls never followed the link
        }

        It 'Given a plain folder owned by a non-administrator, moves it aside and installs into a fresh, locked folder' {
            $installed = Join-Path $global:WslppSim.ProgramData 'WslPortProxy'
            New-Item -ItemType Directory -Path $installed | Out-Null
            Set-Content -LiteralPath (Join-Path $installed 'Update-WslPortProxy.ps1') -Value 'Start-Process evil.exe'
            Set-SimPlanted -Path $installed

            $result = Invoke-BundleScript -Dist $script:BootBundle -Name 'Install-WslPortProxy.ps1' -Parameters @{ Credential = (New-TestCredential) }

            $result.ExitCode | Should -Be 0
            Get-Content -Raw -LiteralPath (Join-Path $installed 'Update-WslPortProxy.ps1') | Should -Not -Match 'evil'
            (Get-Acl -LiteralPath $installed).Sddl | Should -BeLike 'O:BAG:SYD:*'
            $aside = @(Get-ChildItem -LiteralPath $global:WslppSim.ProgramData -Directory | Where-Object { $_.Name -like 'WslPortProxy.planted-*' })
            $aside | Should -HaveCount 1
            Get-Content -Raw -LiteralPath (Join-Path $aside[0].FullName 'Update-WslPortProxy.ps1') | Should -Match 'evil'   # kept for the admin to look at
        }

        It 'Given a logs folder that is a link to somewhere else, moves it aside too' {
            $target = Join-Path $global:WslppSim.Root 'elsewhere'
            New-Item -ItemType Directory -Path $target | Out-Null
            $installed = Join-Path $global:WslppSim.ProgramData 'WslPortProxy'
            New-Item -ItemType Directory -Path $installed | Out-Null
            New-Item -ItemType SymbolicLink -Path (Join-Path $installed 'logs') -Target $target | Out-Null

            (Invoke-BundleScript -Dist $script:BootBundle -Name 'Install-WslPortProxy.ps1' -Parameters @{ Credential = (New-TestCredential) }).ExitCode | Should -Be 0

            @(Get-ChildItem -LiteralPath $target -Force) | Should -HaveCount 0
            (Get-Item -LiteralPath (Join-Path $installed 'logs') -Force).LinkType | Should -BeNullOrEmpty
            Test-Path -LiteralPath (Join-Path $installed 'logs/Update-WslPortProxy.log') | Should -BeTrue
        }
    }

    Context 'Given an install folder whose parent folders someone else may change' {
        BeforeAll {
            function New-InstallDirBundle {
                param([string] $InstallDir)
                return New-TestBundle -Inventory @"
servers:
  - name: WEB-01
    run_as: CORP\svc-podman
    start: boot
    wait_for_wsl: 2s
    install_dir: '$InstallDir'
    ports: [80]
"@
            }
        }

        It 'Given %SystemDrive%\Tools\WslPortProxy, where C:\Tools inherits from C:\ the right of Authenticated Users to modify, refuses with exit code 11 naming C:\Tools and the right, and installs nothing' {
            $bundle = New-InstallDirBundle -InstallDir '%SystemDrive%\Tools\WslPortProxy'
            $tools = Join-Path $global:WslppSim.Root 'Tools'
            $installed = Join-Path $tools 'WslPortProxy'

            $result = Invoke-BundleScript -Dist $bundle -Name 'Install-WslPortProxy.ps1' -Parameters @{ Credential = (New-TestCredential) }

            $result.ExitCode | Should -Be 11
            $result.Errors | Should -Be @("Install-WslPortProxy.ps1 failed (exit code 11): The install folder $installed is not safe: its parent folder $tools lets Authenticated Users (AU) delete, rename or change the permissions of it (0x1301bf), and whoever may do that can replace what the task runs elevated. Nothing was installed. Choose an install folder whose parent folders only Administrators, SYSTEM or TrustedInstaller may change (the default %ProgramData%\WslPortProxy is one), or remove that right from $tools.")
            Test-Path -LiteralPath $tools | Should -BeFalse   # the parent folder it made is removed again
            (Read-SimState 'tasks.json').Count | Should -Be 0
        }

        It 'Given a parent folder under %ProgramData% that a user made, refuses with exit code 11 naming its owner' {
            $bundle = New-InstallDirBundle -InstallDir '%ProgramData%\Vendor\WslPortProxy'
            $vendor = Join-Path $global:WslppSim.ProgramData 'Vendor'
            New-Item -ItemType Directory -Path $vendor | Out-Null
            Set-SimPlanted -Path $vendor

            $result = Invoke-BundleScript -Dist $bundle -Name 'Install-WslPortProxy.ps1' -Parameters @{ Credential = (New-TestCredential) }

            $result.ExitCode | Should -Be 11
            $result.Errors[0] | Should -BeLike "*its parent folder $vendor is owned by S-1-5-21-1004336348-1177238915-682003330-1005, who may change its permissions, and whoever*"
            Test-Path -LiteralPath (Join-Path $vendor 'WslPortProxy') | Should -BeFalse
            (Read-SimState 'tasks.json').Count | Should -Be 0
        }

        It 'Given a parent folder that is a symbolic link (or junction), refuses with exit code 11 and writes nothing into its target' {
            $bundle = New-InstallDirBundle -InstallDir '%ProgramData%\Vendor\WslPortProxy'
            $target = Join-Path $global:WslppSim.Root 'elsewhere'
            New-Item -ItemType Directory -Path $target | Out-Null
            $vendor = Join-Path $global:WslppSim.ProgramData 'Vendor'
            New-Item -ItemType SymbolicLink -Path $vendor -Target $target | Out-Null

            $result = Invoke-BundleScript -Dist $bundle -Name 'Install-WslPortProxy.ps1' -Parameters @{ Credential = (New-TestCredential) }

            $result.ExitCode | Should -Be 11
            $result.Errors[0] | Should -BeLike "*its parent folder $vendor is a SymbolicLink (to $target), and whoever*"
            @(Get-ChildItem -LiteralPath $target -Force) | Should -HaveCount 0
        }

        It 'Given install_dir under %ProgramFiles% (TrustedInstaller owns it; only administrators may change it), installs' {
            $bundle = New-InstallDirBundle -InstallDir '%ProgramFiles%\WslPortProxy'
            $result = Invoke-BundleScript -Dist $bundle -Name 'Install-WslPortProxy.ps1' -Parameters @{ Credential = (New-TestCredential) }
            $result.ExitCode | Should -Be 0
            Test-Path -LiteralPath (Join-Path $global:WslppSim.ProgramFiles 'WslPortProxy/Update-WslPortProxy.ps1') | Should -BeTrue
        }
    }

    Context 'Given an install folder that exists already' {
        It 'Given a folder an administrator made with the inherited ProgramData permissions and a junction a user put at podman-wsl, moves it aside and creates a fresh folder: nothing lands in the junction''s target' {
            $installed = Join-Path $global:WslppSim.ProgramData 'WslPortProxy'
            New-Item -ItemType Directory -Path $installed | Out-Null
            $target = Join-Path $global:WslppSim.Root 'elsewhere'
            New-Item -ItemType Directory -Path $target | Out-Null
            New-Item -ItemType SymbolicLink -Path (Join-Path $installed 'podman-wsl') -Target $target | Out-Null

            $result = Invoke-BundleScript -Dist $script:BootBundle -Name 'Install-WslPortProxy.ps1' -Parameters @{ Credential = (New-TestCredential) }

            $result.ExitCode | Should -Be 0
            $aside = @(Get-ChildItem -LiteralPath $global:WslppSim.ProgramData -Directory | Where-Object { $_.Name -like 'WslPortProxy.planted-*' })
            $aside | Should -HaveCount 1
            $result.Warnings | Should -Contain "$installed was moved aside to $($aside[0].FullName) because it lets BU write (0x100116); a fresh folder is used instead."   # the inherited ProgramData entry
            (Get-Item -LiteralPath (Join-Path $installed 'podman-wsl') -Force -ErrorAction SilentlyContinue).LinkType | Should -BeNullOrEmpty   # the first run may make its own
            @(Get-ChildItem -LiteralPath $target -Force) | Should -HaveCount 0
            (Get-Acl -LiteralPath $installed).Sddl | Should -BeLike 'O:BAG:SYD:PAI(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICI;0x1200a9;;;*)'
        }

        It 'Given the installed folder later got an entry that lets Users write, moves it aside, carries state.json over and installs into a fresh folder' {
            $credential = New-TestCredential
            (Invoke-BundleScript -Dist $script:BootBundle -Name 'Install-WslPortProxy.ps1' -Parameters @{ Credential = $credential }).ExitCode | Should -Be 0
            $installed = Join-Path $global:WslppSim.ProgramData 'WslPortProxy'
            $state = Get-Content -Raw -LiteralPath (Join-Path $installed 'state.json')
            $sddl = (Get-Acl -LiteralPath $installed).Sddl
            Set-SimAcl -Path $installed -Dacl ($sddl.Substring($sddl.IndexOf('D:PAI') + 5) + '(A;OICI;0x1301bf;;;BU)') -Protected
            Clear-SimCall

            $result = Invoke-BundleScript -Dist $script:BootBundle -Name 'Install-WslPortProxy.ps1' -Parameters @{ Credential = $credential }

            $result.ExitCode | Should -Be 0
            $aside = @(Get-ChildItem -LiteralPath $global:WslppSim.ProgramData -Directory | Where-Object { $_.Name -like 'WslPortProxy.planted-*' })
            $aside | Should -HaveCount 1
            $result.Warnings | Should -Contain "$installed was moved aside to $($aside[0].FullName) because it lets BU write (0x1301bf); a fresh folder is used instead."
            Get-Content -Raw -LiteralPath (Join-Path $installed 'state.json') | Should -Be $state
            (Get-Acl -LiteralPath $installed).Sddl | Should -Not -Match ';;;BU\)'
            Get-SimNetshCommand | Should -BeNullOrEmpty   # the state came along: every rule was right
        }
    }

    Context 'Given a bundle copied out of a zip or from a share (Zone.Identifier)' {
        It 'unblocks every file it installs, so that RemoteSigned runs them' {
            $result = Invoke-BundleScript -Dist $script:BootBundle -Name 'Install-WslPortProxy.ps1' -Parameters @{ Credential = (New-TestCredential) }
            $result.ExitCode | Should -Be 0
            $installed = Join-Path $global:WslppSim.ProgramData 'WslPortProxy'
            $files = @(Get-ChildItem -LiteralPath $installed -Recurse -File | Where-Object { $_.FullName -notlike '*logs*' -and $_.Extension -in '.ps1', '.psm1', '.psd1', '.txt' } | ForEach-Object { $_.FullName } | Sort-Object)
            $files.Count | Should -BeGreaterThan 15
            $unblocked = @(Get-SimCall -Program 'cmdlet' | Where-Object { $_ -like 'cmdlet Unblock-File *' } | ForEach-Object { $_.Substring('cmdlet Unblock-File '.Length) } | Sort-Object)
            $unblocked | Should -Be $files
        }
    }

    Context 'Given Windows refuses to store the task account''s password' {
        It 'explains <Fault> in one sentence with the fix (exit 5)' -ForEach @(
            @{ Fault = 'NoPasswordStorage'; Message = "Install-WslPortProxy.ps1 failed (exit code 5): Windows refused to store the password of CORP\svc-podman (0x80070520): the policy ""Network access: Do not allow storage of passwords and credentials for network authentication"" is enabled on this server; disable it (Local Security Policy or Group Policy), or generate the bundle with start: logon, which stores no password." }
            @{ Fault = 'NoBatchRight'; Message = "Install-WslPortProxy.ps1 failed (exit code 5): CORP\svc-podman may not log on as a batch job (0x80070569): grant it the right ""Log on as a batch job"" (Local Security Policy > User Rights Assignment, or Group Policy), then run the installer again." }
            @{ Fault = 'WrongPassword'; Message = "Install-WslPortProxy.ps1 failed (exit code 5): Windows refused the password of CORP\svc-podman (0x8007052E: the user name or password is incorrect). Run the installer again with the right one." }
        ) {
            Write-SimState 'register-faults.json' @{ fault = $Fault }
            $result = Invoke-BundleScript -Dist $script:BootBundle -Name 'Install-WslPortProxy.ps1' -Parameters @{ Credential = (New-TestCredential) }
            $result.ExitCode | Should -Be 5
            $result.Errors | Should -Be @($Message)
            (Read-SimState 'tasks.json').Count | Should -Be 0
        }
    }

    Context 'Given -WhatIf' {
        It 'asks for no password, registers and copies nothing' {
            Write-SimState 'credential.json' @{ Password = 'typed' }
            $before = Get-SimSnapshot
            $result = Invoke-BundleScript -Dist $script:BootBundle -Name 'Install-WslPortProxy.ps1' -Parameters @{ WhatIf = $true }
            $result.ExitCode | Should -Be 0
            Get-SimCall -Program 'cmdlet' | Where-Object { $_ -like 'cmdlet Get-Credential*' } | Should -BeNullOrEmpty
            Get-SimSnapshot | Should -Be $before
        }

        It 'run as a deployment tool runs it (powershell -File Install-WslPortProxy.ps1 -WhatIf): changes nothing, exit 0' {
            Write-SimState 'credential.json' @{ Password = 'typed' }
            $before = Get-SimSnapshot
            $run = Invoke-SimEntryScript -Path (Join-Path $script:BootBundle 'WEB-01/Install-WslPortProxy.ps1') -Arguments '-WhatIf'
            $run.ExitCode | Should -Be 0 -Because $run.Error
            $run.Error | Should -BeNullOrEmpty
            Get-SimSnapshot | Should -Be $before
        }
    }

    Context 'Given a bundle that was changed after it was generated' {
        It 'refuses it with exit code 6, naming what differs, and installs nothing' {
            $copy = Join-Path ([System.IO.Path]::GetTempPath()) ('bundle-' + [guid]::NewGuid().ToString('n'))
            Copy-Item -LiteralPath $script:BootBundle -Destination $copy -Recurse
            Add-Content -LiteralPath (Join-Path $copy 'WEB-01/Update-WslPortProxy.ps1') -Value 'Invoke-Something'
            Remove-Item -LiteralPath (Join-Path $copy 'WEB-01/README.txt')
            $before = Get-SimSnapshot

            $result = Invoke-BundleScript -Dist $copy -Name 'Install-WslPortProxy.ps1' -Parameters @{ Credential = (New-TestCredential) }

            $result.ExitCode | Should -Be 6
            $result.Errors | Should -Be @('Install-WslPortProxy.ps1 failed (exit code 6): This bundle does not match its manifest.json (README.txt is missing; Update-WslPortProxy.ps1 was changed). Copy it again from where it was generated, or generate it again.')
            Get-SimSnapshot | Should -Be $before
            Remove-Item -LiteralPath $copy -Recurse -Force
        }
    }

    Context 'Given a server that cannot forward as the settings say (preflight)' {
        It 'Given <Case>, refuses with exit code 7 in one sentence and installs nothing' -ForEach @(
            @{ Case = 'Windows Server 2019 (build 17763)'; Scene = { Write-SimState 'windows.json' @{ build = '17763' } }
                Message = "Windows build: Windows build 17763 cannot run WSL 2, which needs build 19041 or later (Windows Server 2022 is 20348): under WSL 1 eth0 is this server's own network card, so a rule would forward into the server itself. Use Windows Server 2022 or later." }
            @{ Case = 'only the inbox wsl.exe (no WSL package)'; Scene = { Remove-Item -LiteralPath (Join-Path $global:WslppSim.ProgramFiles 'WSL') -Recurse }
                Message = 'WSL package: The WSL package is not installed (<ProgramFiles>/WSL/wsl.exe is missing): the inbox or Store wsl.exe cannot be used by a task before anyone logs on (microsoft/WSL#9231). Install WSL 2.0 or later: wsl.exe --update, or the .msi from https://github.com/microsoft/WSL/releases.' }
            @{ Case = 'HTTP.sys on port 80 and 8443 in an excluded range, on a German server'; Scene = { Write-SimState 'network.json' @{ locale = 'de'; listening = @(@{ endpoint = '0.0.0.0:80'; pid = 4 }); excluded_ranges = @(, @(8400, 8499)) } }
                Message = '0.0.0.0:80: 0.0.0.0:80 is held by System (PID 4: HTTP.sys, e.g. IIS or WinRM): stop it there, or forward another port. 0.0.0.0:8443: Port 8443 lies in the excluded port range 8400-8499 (netsh int ipv4 show excludedportrange protocol=tcp): Windows reserves it and IP Helper cannot listen there; forward another port.' }
        ) {
            & $Scene
            $before = Get-SimSnapshot
            $result = Invoke-BundleScript -Dist $script:BootBundle -Name 'Install-WslPortProxy.ps1' -Parameters @{ Credential = (New-TestCredential) }
            $result.ExitCode | Should -Be 7
            $expected = $Message.Replace('<ProgramFiles>/WSL/wsl.exe', (Join-Path (Join-Path $global:WslppSim.ProgramFiles 'WSL') 'wsl.exe'))
            $result.Errors | Should -Be @("Install-WslPortProxy.ps1 failed (exit code 7): This server cannot forward as the settings say, so nothing was installed. $expected")
            Get-SimSnapshot | Should -Be $before
        }

        It 'passes when containers already publish the forwarded ports: WSL''s localhost relay on 127.0.0.1 is no conflict' {
            Write-SimState 'podman.json' @{ machines = @{ 'podman-machine-default' = 'running' } }
            Set-SimContainer @{ web = @(New-SimPublish -HostPort 80), @(New-SimPublish -HostPort 8443 -ContainerPort 443) }
            $run = Invoke-SimEntryScript -Path (Join-Path $script:BootBundle 'WEB-01/Install-WslPortProxy.ps1') -Arguments '-Preflight'
            $run.ExitCode | Should -Be 0 -Because $run.Output
            @(Get-NetTCPConnection -State Listen | ForEach-Object { '{0}:{1}' -f $_.LocalAddress, $_.LocalPort } | Sort-Object) | Should -Be @('127.0.0.1:80', '127.0.0.1:8443')
        }

        It 'installs with a warning, not a refusal, when a port lies in an administered port exclusion (marked *)' {
            Write-SimState 'network.json' @{ category = 'DomainAuthenticated'; excluded_ranges = @(, @(8400, 8499, '*')) }
            $result = Invoke-BundleScript -Dist $script:BootBundle -Name 'Install-WslPortProxy.ps1' -Parameters @{ Credential = (New-TestCredential); WarningVariable = 'warned' }
            $result.ExitCode | Should -Be 0
            $result.Errors | Should -BeNullOrEmpty
            $run = Invoke-SimEntryScript -Path (Join-Path $script:BootBundle 'WEB-01/Install-WslPortProxy.ps1') -Arguments '-Preflight'
            $run.ExitCode | Should -Be 0
            ($run.Output -replace '\s', '') | Should -Match ([regex]::Escape(('Port 8443 lies in the administered port exclusion 8400-8499' -replace '\s', '')))
        }

        It 'warns, and still installs, when podman.exe is only a per-user install (%LOCALAPPDATA%\Programs\Podman): the account''s unelevated processes can replace it' {
            Remove-SimulatedWindows
            New-SimulatedWindows -PodmanScope User | Out-Null
            $run = Invoke-SimEntryScript -Path (Join-Path $script:BootBundle 'WEB-01/Install-WslPortProxy.ps1') -Arguments '-Preflight'
            $run.ExitCode | Should -Be 0 -Because $run.Output
            $said = 'which that account''s unelevated processes can replace, and run it elevated (only administrators can write %ProgramFiles%)'
            ($run.Output -replace '\s', '') | Should -Match ([regex]::Escape(($said -replace '\s', '')))
            $result = Invoke-BundleScript -Dist $script:BootBundle -Name 'Install-WslPortProxy.ps1' -Parameters @{ Credential = (New-TestCredential); WarningVariable = 'warned' }
            $result.ExitCode | Should -Be 0
            "$($result.Warnings)" | Should -BeLike '*podman.exe: No podman.exe for all users*'
        }

        It 'gives no podman.exe warning for a machine-wide install (<Scope>)' -ForEach @(@{ Scope = 'RedHat' }, @{ Scope = 'Machine' }) {
            Remove-SimulatedWindows
            New-SimulatedWindows -PodmanScope $Scope | Out-Null
            $run = Invoke-SimEntryScript -Path (Join-Path $script:BootBundle 'WEB-01/Install-WslPortProxy.ps1') -Arguments '-Preflight'
            $run.ExitCode | Should -Be 0 -Because $run.Output
            $run.Output | Should -Not -Match 'No podman\.exe for all users'
        }

        It 'refuses a listen address that is not one of this server''s' {
            $dist = New-TestBundle -Inventory @'
servers:
  - name: WEB-01
    start: logon
    ports: [{listen: 80, listen_address: 192.168.0.99}]
'@
            $result = Invoke-BundleScript -Dist $dist -Name 'Install-WslPortProxy.ps1'
            $result.ExitCode | Should -Be 7
            $result.Errors[0] | Should -BeLike '*192.168.0.99:80: 192.168.0.99 is not an address of this server (Get-NetIPAddress): portproxy cannot listen on it; use one of its addresses, 0.0.0.0 or ::.'
        }

        It '-Preflight only checks: one row per check, exit 7 for a problem, 0 when all pass, nothing installed, no elevation needed' {
            Write-SimState 'whoami.json' @{ elevated = $false }
            Write-SimState 'network.json' @{ listening = @(@{ endpoint = '0.0.0.0:8443'; pid = 1234 }); processes = @{ '1234' = 'nginx' } }
            $before = Get-SimSnapshot
            $preflight = Join-Path $script:BootBundle 'WEB-01/Install-WslPortProxy.ps1'
            $run = Invoke-SimEntryScript -Path $preflight -Arguments '-Preflight'   # as an admin runs it: powershell -File ... -Preflight
            $run.ExitCode | Should -Be 7
            $rows = @([regex]::Matches($run.Output, '(?m)^Item\s*:\s*(.+?)\s*\r?\nOk\s*:\s*(\w+)') | ForEach-Object { "$($_.Groups[1].Value) $($_.Groups[2].Value)" })
            $rows | Should -Be @('Windows build True', 'WSL package True', 'podman.exe True', '0.0.0.0:80 True', '0.0.0.0:8443 False', 'WSL interop True')
            # Format-List wraps long values at the console's width, even inside a word: compared without white space.
            ($run.Output -replace '\s', '') | Should -Match ([regex]::Escape(('Problem : 0.0.0.0:8443 is held by nginx (PID 1234): stop it there, or forward another port.' -replace '\s', '')))
            Get-SimSnapshot | Should -Be $before
            Remove-Item -LiteralPath (Join-Path $global:WslppSim.State 'network.json')
            (Invoke-SimEntryScript -Path $preflight -Arguments '-Preflight').ExitCode | Should -Be 0
        }
    }

    Context 'Given Group Policy sets the execution policy (it outranks -ExecutionPolicy Bypass)' {
        It 'Given AllSigned and an unsigned bundle, refuses with exit code 8 and installs nothing' {
            Write-SimState 'policy.json' @{ MachinePolicy = 'AllSigned' }
            $before = Get-SimSnapshot
            $result = Invoke-BundleScript -Dist $script:BootBundle -Name 'Install-WslPortProxy.ps1' -Parameters @{ Credential = (New-TestCredential) }
            $result.ExitCode | Should -Be 8
            $manifest = Get-Content -Raw -LiteralPath (Join-Path $script:BootBundle 'WEB-01/manifest.json') | ConvertFrom-Json
            $scripts = @($manifest.files.PSObject.Properties.Name | Where-Object { $_ -match '\.ps(m?1|d1)$' -and $_ -ne 'WslPortProxy.Settings.psd1' }).Count
            $scripts | Should -BeGreaterThan 20   # the module's files and the three entry scripts
            $result.Errors | Should -Be @("Install-WslPortProxy.ps1 failed (exit code 8): Group Policy (MachinePolicy) sets the execution policy AllSigned, which -ExecutionPolicy Bypass cannot override, and $scripts of $scripts script files of this bundle are not validly signed (first: WslPortProxy/WslPortProxy.psd1): the task would end with 0x1 before writing a log. Install a signed release (docs/admin-guide.md: Signing and execution policy). Nothing was installed.")
            Get-SimSnapshot | Should -Be $before
        }

        It 'Given Restricted for the user, refuses with exit code 8' {
            Write-SimState 'policy.json' @{ UserPolicy = 'Restricted' }
            $result = Invoke-BundleScript -Dist $script:BootBundle -Name 'Install-WslPortProxy.ps1' -Parameters @{ Credential = (New-TestCredential) }
            $result.ExitCode | Should -Be 8
            $result.Errors[0] | Should -BeLike '*Group Policy (UserPolicy) sets the execution policy Restricted, which -ExecutionPolicy Bypass cannot override: no script can run, so the task could not start. Ask for RemoteSigned, or AllSigned with a signed release (docs/admin-guide.md: Signing and execution policy).*'
        }

        It 'Given AllSigned and a bundle whose every script file is signed, installs; so does RemoteSigned' {
            $copy = Join-Path ([System.IO.Path]::GetTempPath()) ('bundle-' + [guid]::NewGuid().ToString('n'))
            Copy-Item -LiteralPath $script:BootBundle -Destination $copy -Recurse
            $bundle = Join-Path $copy 'WEB-01'
            $manifestPath = Join-Path $bundle 'manifest.json'
            $manifest = ConvertTo-SimHashtable (Get-Content -Raw -LiteralPath $manifestPath | ConvertFrom-Json)
            foreach ($name in @($manifest.files.Keys | Where-Object { $_ -match '\.ps(m?1|d1)$' -and $_ -ne 'WslPortProxy.Settings.psd1' })) {
                $path = Join-Path $bundle $name
                Add-Content -LiteralPath $path -Value "# SIG # Begin signature block`n# MIIsynthetic`n# SIG # End signature block"
                $manifest.files[$name] = (Get-FileHash -LiteralPath $path -Algorithm SHA256).Hash
            }
            Write-SimText -Path $manifestPath -Text (ConvertTo-Json -InputObject $manifest -Depth 5)
            Write-SimState 'policy.json' @{ MachinePolicy = 'AllSigned'; UserPolicy = 'RemoteSigned' }

            (Invoke-BundleScript -Dist $copy -Name 'Install-WslPortProxy.ps1' -Parameters @{ Credential = (New-TestCredential) }).ExitCode | Should -Be 0
            Remove-Item -LiteralPath $copy -Recurse -Force
        }
    }

    Context 'Given the old watcher takes a few seconds to stop (Stop-ScheduledTask returns first)' {
        It 'the upgrade waits for it, so the new watcher really starts and reports its first run' {
            $credential = New-TestCredential
            (Invoke-BundleScript -Dist $script:BootBundle -Name 'Install-WslPortProxy.ps1' -Parameters @{ Credential = $credential }).ExitCode | Should -Be 0
            Write-SimState 'task-faults.json' @{ stop_seconds = 2 }
            Clear-SimCall

            $result = Invoke-BundleScript -Dist $script:BootBundle -Name 'Install-WslPortProxy.ps1' -Parameters @{ Credential = $credential }

            $result.ExitCode | Should -Be 0
            Get-SimCall -Program 'cmdlet' | Where-Object { $_ -like '*dropped*' } | Should -BeNullOrEmpty
            (Read-SimState 'tasks.json')[$script:TaskKey].State | Should -Be 'Running'
        }
    }

    Context 'Given the installer is not elevated' {
        It 'refuses with a clear message and exit code 2, changing nothing' {
            Write-SimState 'whoami.json' @{ elevated = $false }
            $before = Get-SimSnapshot
            $result = Invoke-BundleScript -Dist $script:BootBundle -Name 'Install-WslPortProxy.ps1' -Parameters @{ Credential = (New-TestCredential) }
            $result.ExitCode | Should -Be 2
            $result.Errors | Should -Be @('Install-WslPortProxy.ps1 failed (exit code 2): Install-WslPortProxy.ps1 must run elevated: open PowerShell with "Run as administrator" and run it again.')
            Get-SimSnapshot | Should -Be $before
        }
    }

    Context 'Given the bundle of another server' {
        It 'refuses with exit code 3 unless -Force' {
            Remove-SimulatedWindows
            New-SimulatedWindows -ComputerName 'DB-02' | Out-Null
            $result = Invoke-BundleScript -Dist $script:BootBundle -Name 'Install-WslPortProxy.ps1' -Parameters @{ Credential = (New-TestCredential) }
            $result.ExitCode | Should -Be 3
            $result.Errors | Should -Be @('Install-WslPortProxy.ps1 failed (exit code 3): This bundle is for WEB-01, but this computer is DB-02. Use the bundle generated for this computer, or -Force.')
            (Invoke-BundleScript -Dist $script:BootBundle -Name 'Install-WslPortProxy.ps1' -Parameters @{ Credential = (New-TestCredential); Force = $true }).ExitCode | Should -Be 0
        }
    }

    Context 'Given a logon-time bundle without run_as' {
        It 'asks for no password and registers the task for the installing admin' {
            $result = Invoke-BundleScript -Dist $script:LogonBundle -Name 'Install-WslPortProxy.ps1'
            $result.ExitCode | Should -Be 0
            Get-SimCall -Program 'cmdlet' | Where-Object { $_ -like 'cmdlet Get-Credential*' } | Should -BeNullOrEmpty
            $task = (Read-SimState 'tasks.json')[$script:TaskKey]
            $task.User | Should -Be 'CORP\svc-podman'
            $task.PasswordGiven | Should -BeFalse
            $xml = [xml] $task.Xml
            $xml.Task.Principals.Principal.UserId | Should -Be 'CORP\svc-podman'
            $xml.Task.Principals.Principal.LogonType | Should -Be 'InteractiveToken'
            $xml.Task.Triggers.LogonTrigger.UserId | Should -Be 'CORP\svc-podman'
            # It runs in the account's session: the console window is hidden (closing it would end the watcher),
            # -WindowStyle before -File, which must be last (about_PowerShell_exe); the task ran it with -Watch.
            $xml.Task.Actions.Exec.Arguments | Should -Match '^-NoProfile -NonInteractive -WindowStyle Hidden -ExecutionPolicy Bypass -File "[^"%]+[\\/]Update-WslPortProxy\.ps1" -Watch$'
            $task.State | Should -Be 'Running'
        }
    }

    Context 'Given a logon-time bundle and its account not logged on (the task runs only in an interactive session of it)' {
        It 'Given start: logon and the account is not logged on, installs, says the task starts at that account''s next logon, exits 0, and records the install (manifest)' {
            Set-SimLogonSession @{ 'CORP\svc-podman' = 3 }   # the admin installs over WinRM (Ansible, Publish-WslPortProxy): a network logon
            $started = Get-Date

            $result = Invoke-BundleScript -Dist $script:LogonBundle -Name 'Install-WslPortProxy.ps1'

            $result.ExitCode | Should -Be 0
            $result.Errors | Should -BeNullOrEmpty
            ((Get-Date) - $started).TotalSeconds | Should -BeLessThan 60   # no wait for a first run that cannot come
            $installed = Join-Path $global:WslppSim.ProgramData 'WslPortProxy'
            $log = Join-Path (Join-Path $installed 'logs') 'Update-WslPortProxy.log'
            $expected = "Installed, not run yet: CORP\svc-podman is not logged on to this server (at the console or over Remote " +
                "Desktop), and a logon task runs only in its account's session. The task starts at CORP\svc-podman's next logon; its log: $log"
            $result.Warnings | Should -Contain $expected
            $result.Results | Should -HaveCount 1
            $result.Results[0].FirstRun | Should -Be $expected
            [System.IO.File]::ReadAllText((Join-Path $installed 'manifest.json')) | Should -BeExactly ([System.IO.File]::ReadAllText((Join-Path $script:LogonBundle 'WEB-01/manifest.json')))
            $task = (Read-SimState 'tasks.json')[$script:TaskKey]
            $task.State | Should -Be 'Ready'
            $task.LastTaskResult | Should -Be 267011   # 0x41303: has not yet run
            Get-SimPortProxy | Should -BeNullOrEmpty   # nothing forwarded until the watcher runs at that logon
        }

        It 'Given an account it cannot match to a logon session (a UPN), starts the task and, when Task Scheduler does not run it, says it starts at the next logon (exit 0)' {
            $dist = New-TestBundle -Inventory @'
servers:
  - name: WEB-01
    run_as: svc-podman@corp.example
    start: logon
    wait_for_wsl: 2s
    ports: [80]
'@
            $result = Invoke-BundleScript -Dist $dist -Name 'Install-WslPortProxy.ps1'

            $result.ExitCode | Should -Be 0
            $result.Errors | Should -BeNullOrEmpty
            $result.Results[0].FirstRun | Should -BeLike "Installed, not run yet: Task Scheduler did not start the task within 10 seconds, so svc-podman@corp.example is probably not logged on to this server *The task starts at svc-podman@corp.example's next logon; its log: *"
            @(Get-SimCall -Program 'cmdlet' | Where-Object { $_ -like 'cmdlet Start-ScheduledTask*' }) | Should -HaveCount 1   # it was asked to start
            Test-Path -LiteralPath (Join-Path $global:WslppSim.ProgramData 'WslPortProxy/manifest.json') | Should -BeTrue
        }

        It 'Given that account logged on (known to Task Scheduler by its UPN), the task runs and the installer reports its first reconcile' {
            $dist = New-TestBundle -Inventory @'
servers:
  - name: WEB-01
    run_as: svc-podman@corp.example
    start: logon
    wait_for_wsl: 2s
    ports: [80]
'@
            Set-SimLogonSession @{ 'CORP\svc-podman' = 10 } -Upn @{ 'CORP\svc-podman' = 'svc-podman@corp.example' }   # over Remote Desktop

            $result = Invoke-BundleScript -Dist $dist -Name 'Install-WslPortProxy.ps1'

            $result.ExitCode | Should -Be 0
            $result.Results[0].FirstRun | Should -BeLike 'First reconcile succeeded: *'
            (Read-SimState 'tasks.json')[$script:TaskKey].State | Should -Be 'Running'
            (Get-SimPortProxy)['0.0.0.0/80'] | Should -Be '172.28.241.140/80'
        }
    }

    Context 'Given run_as .\user (an account of this computer)' {
        It 'registers the task with the same account string in both UserId elements and in -User' {
            $dist = New-TestBundle -Inventory @'
servers:
  - name: WEB-01
    run_as: .\podman
    start: logon
    wait_for_wsl: 2s
    ports: [80]
'@
            $result = Invoke-BundleScript -Dist $dist -Name 'Install-WslPortProxy.ps1'
            $result.ExitCode | Should -Be 0
            $task = (Read-SimState 'tasks.json')[$script:TaskKey]
            $xml = [xml] $task.Xml
            $task.User | Should -BeExactly 'WEB-01\podman'
            $xml.Task.Principals.Principal.UserId | Should -BeExactly 'WEB-01\podman'
            $xml.Task.Triggers.LogonTrigger.UserId | Should -BeExactly 'WEB-01\podman'
        }
    }

    Context 'Given the first run of the task fails' {
        It 'reports the task result with exit code 4' {
            Set-SimWsl @{ 'Ubuntu' = @{ ip = '172.28.241.140'; no_ip_for = 0 } }
            $result = Invoke-BundleScript -Dist $script:BootBundle -Name 'Install-WslPortProxy.ps1' -Parameters @{ Credential = (New-TestCredential) }
            $result.ExitCode | Should -Be 4
            $log = Join-Path (Join-Path (Join-Path $global:WslppSim.ProgramData 'WslPortProxy') 'logs') 'Update-WslPortProxy.log'
            $result.Errors | Should -Be @("Install-WslPortProxy.ps1 failed (exit code 4): Installed, but the first run of the task failed with code 3: Failed (exit code 3): WSL distribution 'podman-machine-default' is not registered for CORP\svc-podman (wsl.exe: There is no distribution with the supplied name. Error code: Wsl/Service/WSL_E_DISTRO_NOT_FOUND; wsl.exe --list --quiet lists: Ubuntu). The task must run as the account that owns the distribution. (see Update-WslPortProxy.ps1's help and the log $log).")
        }
    }
}

Describe 'Upgrading from wsl-portproxy 0.1.0 (one generated script per server)' {
    BeforeAll {
        # The real 0.1.0 bundle of examples/inventory.yaml, as that release generated it.
        $script:OldBundle = Join-Path $PSScriptRoot 'fixtures'
        $script:NewBundle = New-TestBundle -Inventory (Get-Content -Raw -LiteralPath (Join-Path $PSScriptRoot '../../../examples/inventory.yaml'))
    }
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'replaces the files, keeps the state and the rules, and restarts the watcher' {
        $credential = New-TestCredential
        $old = Join-Path $script:OldBundle 'wsl-portproxy-0.1.0/Install-WslPortProxy.ps1'
        $global:LASTEXITCODE = 0
        & $old -Credential $credential *> $null
        $LASTEXITCODE | Should -Be 0
        $installed = Join-Path $global:WslppSim.ProgramData 'WslPortProxy'
        Test-Path -LiteralPath (Join-Path $installed 'WslPortProxy') | Should -BeFalse   # the old layout
        $rules = Get-SimRules
        $state = Get-Content -Raw -LiteralPath (Join-Path $installed 'state.json')
        Clear-SimCall

        $result = Invoke-BundleScript -Dist $script:NewBundle -Name 'Install-WslPortProxy.ps1' -Parameters @{ Credential = $credential }

        $result.ExitCode | Should -Be 0
        $result.Errors | Should -BeNullOrEmpty
        (Get-FileHash (Join-Path $installed 'Update-WslPortProxy.ps1')).Hash | Should -Be (Get-FileHash (Join-Path $script:NewBundle 'WEB-01/Update-WslPortProxy.ps1')).Hash
        Test-Path -LiteralPath (Join-Path $installed 'WslPortProxy/WslPortProxy.psm1') | Should -BeTrue
        Test-Path -LiteralPath (Join-Path $installed 'WslPortProxy.Settings.psd1') | Should -BeTrue
        Get-Content -Raw -LiteralPath (Join-Path $installed 'state.json') | Should -Be $state   # nothing to record anew
        Get-SimRules | Should -Be $rules
        Get-SimNetshCommand | Should -BeNullOrEmpty   # the new watcher found every rule right
        @((Read-SimState 'tasks.json').Keys) | Should -Be @($script:TaskKey)
        (Read-SimState 'tasks.json')[$script:TaskKey].State | Should -Be 'Running'
        $log = Get-UpdateLog
        $log.Substring($log.LastIndexOf('Run started (Watch)')) | Should -Match 'No change: every rule is already right\.'
    }
}

Describe 'Uninstall-WslPortProxy.ps1' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'Given an installed server, install then uninstall -Purge leaves the simulated system as before' {
        Set-SimPortProxy @{ '0.0.0.0/3389' = '10.0.0.5/3389' }
        Write-SimState 'podman.json' @{ machines = @{ 'podman-machine-default' = 'running' } }
        $null = New-NetFirewallRule -Name 'Someone-Else' -DisplayName 'Not ours' -Group 'Other' -Direction Inbound -Action Allow -Protocol TCP -LocalPort 3389 -Profile Domain -Enabled True
        $before = Get-SimSnapshot

        (Invoke-BundleScript -Dist $script:BootBundle -Name 'Install-WslPortProxy.ps1' -Parameters @{ Credential = (New-TestCredential) }).ExitCode | Should -Be 0
        (Get-SimPortProxy).Count | Should -Be 3
        $result = Invoke-BundleScript -Dist $script:BootBundle -Name 'Uninstall-WslPortProxy.ps1' -Parameters @{ Purge = $true }

        $result.ExitCode | Should -Be 0
        Get-SimSnapshot | Should -Be $before
    }

    It 'keeps the logs unless -Purge' {
        (Invoke-BundleScript -Dist $script:BootBundle -Name 'Install-WslPortProxy.ps1' -Parameters @{ Credential = (New-TestCredential) }).ExitCode | Should -Be 0
        (Invoke-BundleScript -Dist $script:BootBundle -Name 'Uninstall-WslPortProxy.ps1').ExitCode | Should -Be 0
        $installed = Join-Path $global:WslppSim.ProgramData 'WslPortProxy'
        @(Get-ChildItem -LiteralPath $installed | ForEach-Object { $_.Name }) | Should -Be @('logs')
        (Read-SimState 'tasks.json').Count | Should -Be 0
        Get-SimPortProxy | Should -BeNullOrEmpty
        Get-SimFirewall | Should -BeNullOrEmpty
    }

    It 'Given the watcher takes a few seconds to stop, waits for it before removing the rules, so none comes back' {
        (Invoke-BundleScript -Dist $script:BootBundle -Name 'Install-WslPortProxy.ps1' -Parameters @{ Credential = (New-TestCredential) }).ExitCode | Should -Be 0
        Write-SimState 'task-faults.json' @{ stop_seconds = 2 }

        (Invoke-BundleScript -Dist $script:BootBundle -Name 'Uninstall-WslPortProxy.ps1').ExitCode | Should -Be 0

        Restart-SimWsl -NewIp '172.28.5.5'   # WSL comes back within the stop's 2 s: a watcher still running reconciles
        Start-Sleep -Seconds 3
        Get-SimPortProxy | Should -BeNullOrEmpty
        Get-SimFirewall | Should -BeNullOrEmpty
    }

    It 'removes the metrics file, whose figures would otherwise say the ports are still watched' {
        $metered = New-TestBundle -Inventory @"
servers:
  - name: WEB-01
    run_as: CORP\svc-podman
    wait_for_wsl: 2s
    metrics_file: '%ProgramFiles%\windows_exporter\textfile_inputs\wsl-portproxy.prom'
    ports: [80]
"@
        $metrics = Join-Path $global:WslppSim.ProgramFiles 'windows_exporter/textfile_inputs/wsl-portproxy.prom'
        New-Item -ItemType Directory -Path (Split-Path $metrics) | Out-Null
        (Invoke-BundleScript -Dist $metered -Name 'Install-WslPortProxy.ps1' -Parameters @{ Credential = (New-TestCredential) }).ExitCode | Should -Be 0
        $deadline = (Get-Date).AddSeconds(10)   # the watcher writes it right after its first reconcile
        while (-not (Test-Path -LiteralPath $metrics) -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 100 }
        Test-Path -LiteralPath $metrics | Should -BeTrue

        (Invoke-BundleScript -Dist $metered -Name 'Uninstall-WslPortProxy.ps1').ExitCode | Should -Be 0

        Test-Path -LiteralPath $metrics | Should -BeFalse
        Test-Path -LiteralPath (Split-Path $metrics) | Should -BeTrue   # windows_exporter's folder stays
    }

    It 'Given a lock folder another user made, fails with exit code 8 before it changes anything: the task stays registered' {
        (Invoke-BundleScript -Dist $script:BootBundle -Name 'Install-WslPortProxy.ps1' -Parameters @{ Credential = (New-TestCredential) }).ExitCode | Should -Be 0
        $locks = Join-Path $global:WslppSim.ProgramData 'WslPortProxy/locks'
        Remove-Item -LiteralPath $locks -Recurse -Force -ErrorAction SilentlyContinue
        New-Item -ItemType Directory -Path $locks | Out-Null
        Set-SimPlanted -Path $locks
        $rules = Get-SimRules

        $result = Invoke-BundleScript -Dist $script:BootBundle -Name 'Uninstall-WslPortProxy.ps1'

        $result.ExitCode | Should -Be 8
        $result.Errors | Should -BeLike "Uninstall-WslPortProxy.ps1 failed (exit code 8): The lock folder $locks cannot be trusted (it is owned by S-1-5-21-*): someone else could hold the locks and stop every reconcile. Nothing was changed.*"
        (Read-SimState 'tasks.json').Keys | Should -Be @($script:TaskKey)
        Get-SimRules | Should -Be $rules
    }

    It 'refuses to run unelevated with exit code 2' {
        Write-SimState 'whoami.json' @{ elevated = $false }
        $result = Invoke-BundleScript -Dist $script:BootBundle -Name 'Uninstall-WslPortProxy.ps1'
        $result.ExitCode | Should -Be 2
        $result.Errors | Should -Be @('Uninstall-WslPortProxy.ps1 failed (exit code 2): Uninstall-WslPortProxy.ps1 must run elevated: open PowerShell with "Run as administrator" and run it again.')
    }
}
